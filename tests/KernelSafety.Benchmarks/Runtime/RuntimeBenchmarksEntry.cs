namespace KernelSafety.Benchmarks.Runtime;

/// <summary>Entry point of the runtime (SocketDevice) benchmarks.</summary>
public static class RuntimeBenchmarksEntry
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("runtime benchmarks: not written yet");
        return 1;
    }
}
