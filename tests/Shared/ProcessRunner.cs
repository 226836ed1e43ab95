using System.Diagnostics;
using System.Text;

namespace KernelSafety.Testing.Processes;

public sealed record ProcessResult(string Command, int ExitCode, string StdOut, string StdErr, TimeSpan Duration)
{
    public string Output => StdOut + StdErr;

    public override string ToString()
        => $"$ {Command}\n(exit {ExitCode} after {Duration.TotalSeconds:F1}s)\n{StdOut}\n{StdErr}";
}

/// <summary>Runs the real tools with a timeout; a process that overruns is killed with its children.</summary>
public static class ProcessRunner
{
    /// <summary>The dotnet host running the tests (the SDK's host under `dotnet test`).</summary>
    public static string DotNet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : "dotnet";

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Sanitize(startInfo.Environment);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        var command = fileName + " " + string.Join(" ", startInfo.ArgumentList.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"'{command}' did not finish within {timeout.TotalSeconds:F0}s.\n{stdout}\n{stderr}");
        }

        process.WaitForExit(); // drain the asynchronous readers
        stopwatch.Stop();
        lock (stdout)
        {
            lock (stderr)
            {
                return new ProcessResult(command, process.ExitCode, stdout.ToString(), stderr.ToString(), stopwatch.Elapsed);
            }
        }
    }

    public static Task<ProcessResult> DotNetAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
        => RunAsync(DotNet, arguments, workingDirectory, timeout, environment);

    /// <summary>
    /// `dotnet test` hands MSBuild and test-host variables to its children; a nested `dotnet build` must not
    /// inherit them (they point at the outer build's SDK resolver and nodes).
    /// </summary>
    public static void Sanitize(IDictionary<string, string?> environment)
    {
        foreach (var key in environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                environment.Remove(key);
            }
        }

        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
    }
}
