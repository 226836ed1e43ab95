// Benchmarks for KernelSafety. Run in Release:
//   dotnet run -c Release --project tests/KernelSafety.Benchmarks -- runtime [BenchmarkDotNet arguments]
//   dotnet run -c Release --project tests/KernelSafety.Benchmarks -- analyzers [extra .cs files or folders]
//   dotnet run -c Release --project tests/KernelSafety.Benchmarks -- build [--lines N] [--runs N] [--server]
using KernelSafety.Benchmarks.Analyzers;
using KernelSafety.Benchmarks.Runtime;

var mode = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "runtime":
        return RuntimeBenchmarksEntry.Run(rest);
    case "analyzers":
        return AnalyzerCostEntry.Run(rest);
    case "build":
        return BuildCostEntry.Run(rest);
    default:
        Console.Error.WriteLine("usage: KernelSafety.Benchmarks runtime [BenchmarkDotNet args] | analyzers [extra .cs files or folders] | build [--lines N] [--runs N] [--server]");
        return 2;
}
