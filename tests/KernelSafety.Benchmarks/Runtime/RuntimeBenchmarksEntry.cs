using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>
/// Entry point of the runtime (SocketDevice) benchmarks.
/// <code>
///   runtime --smoke                      quick timed harness (a few hundred ms), ratios against the raw loop
///   runtime --ab [--rounds N]            interleaved A/B rounds: median throughput ratio against the raw loop, with quartiles
///   runtime [BenchmarkDotNet args]       the BenchmarkDotNet suite; defaults: --filter * --job short
///   runtime --job short --inProcess      what the report's table was measured with
/// </code>
/// </summary>
public static class RuntimeBenchmarksEntry
{
    public static int Run(string[] args)
    {
        if (args.Contains("--smoke"))
        {
            return Smoke.Run(TimeSpan.FromMilliseconds(25));
        }

        if (args.Contains("--ab"))
        {
            return Interleaved.Run(args);
        }

        var bdnArgs = args.ToList();
        if (!bdnArgs.Any(a => a is "--filter" or "-f"))
        {
            bdnArgs.AddRange(["--filter", "*SocketWriteBenchmarks*"]);
        }

        if (!bdnArgs.Any(a => a is "--job" or "-j"))
        {
            bdnArgs.AddRange(["--job", "short"]);
        }

        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn(megabytes: false), new ThroughputColumn(megabytes: true));
        var summaries = BenchmarkSwitcher.FromTypes([typeof(SocketWriteBenchmarks)]).Run([.. bdnArgs], config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
