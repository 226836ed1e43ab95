using System.Diagnostics;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>Timing helpers shared by the runtime harnesses: a timed window of writes, and a ValueTask wait that does not allocate.</summary>
public static class WriteTiming
{
    private static readonly ManualResetEventSlim s_completed = new();
    private static readonly Action s_signal = s_completed.Set;

    /// <summary>Blocks on a ValueTask without allocating (no AsTask), so B/write shows the device's own allocations.</summary>
    public static int Wait(ValueTask<int> pending)
    {
        if (!pending.IsCompleted)
        {
            s_completed.Reset();
            pending.GetAwaiter().UnsafeOnCompleted(s_signal);
            s_completed.Wait();
        }

        return pending.GetAwaiter().GetResult();
    }

    /// <param name="endOfWindow">Called once at the end of the window, inside the timed region (a coalescing device's
    /// Flush, so that its writes count only once their bytes were sent).</param>
    public static Result Measure(Func<int> write, TimeSpan duration, Action? endOfWindow = null)
    {
        for (int i = 0; i < 50; i++)
        {
            write(); // warm up (JIT, connection)
        }

        endOfWindow?.Invoke();

        long writes = 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            for (int i = 0; i < 16; i++)
            {
                write();
            }

            writes += 16;
        }

        endOfWindow?.Invoke();
        watch.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return new Result(writes, writes / watch.Elapsed.TotalSeconds, (double)allocated / writes);
    }

    public readonly record struct Result(long Writes, double PerSecond, double AllocatedPerWrite);
}
