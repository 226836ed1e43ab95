using System.Text;
using Xunit;

namespace KernelSafety.Runtime.Tests;

/// <summary>Checks on the messages of concurrent-writer tests: each is "w{writer}-m{index}:" followed by letters of its writer.</summary>
internal static class WriterMessages
{
    /// <summary>Every message arrived whole (no other writer's bytes inside it), exactly once, and each writer's in the order written.</summary>
    public static void AssertWholeOnceAndInOrder(IReadOnlyList<byte[]> frames, int writers, int perWriter)
    {
        var seen = new HashSet<string>();
        foreach (var frame in frames)
        {
            string text = Encoding.ASCII.GetString(frame);
            string head = text[..(text.IndexOf(':') + 1)];
            Assert.True(seen.Add(head), $"duplicate {head}");
            int w = int.Parse(head[1..head.IndexOf('-')]);
            Assert.True(text[head.Length..].All(c => c == (char)('a' + w)), $"message {head} is not whole");
        }

        for (int w = 0; w < writers; w++)
        {
            var order = frames.Select(f => Encoding.ASCII.GetString(f)).Where(t => t.StartsWith($"w{w}-")).Select(t => int.Parse(t[(t.IndexOf('m') + 1)..t.IndexOf(':')])).ToList();
            Assert.Equal(Enumerable.Range(0, perWriter), order);
        }
    }
}
