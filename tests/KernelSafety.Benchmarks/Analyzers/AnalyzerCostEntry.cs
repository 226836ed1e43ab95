namespace KernelSafety.Benchmarks.Analyzers;

/// <summary>Entry point of the analyzer cost harness.</summary>
public static class AnalyzerCostEntry
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("analyzer cost harness: not written yet");
        return 1;
    }
}
