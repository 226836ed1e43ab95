using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>A diagnostic an editor would show: from textDocument/publishDiagnostics or a textDocument/diagnostic pull.</summary>
public sealed record EditorDiagnostic(string Code, string File, int Line, int Severity, string Message)
{
    public override string ToString() => $"{File}({Line}): severity {Severity} {Code}: {Message}";
}

/// <summary>
/// The smallest LSP client that gets diagnostics out of a language server over stdio: initialize, answer
/// workspace/configuration (csharp-ls runs third-party analyzers only when told `csharp.analyzersEnabled: true`),
/// open documents, collect published diagnostics and pull them.
/// </summary>
public sealed class LspClient : IAsyncDisposable
{
    private readonly Process process;
    private readonly Stream input;
    private readonly Channel<JsonObject> incoming = Channel.CreateUnbounded<JsonObject>();
    private readonly Dictionary<string, List<EditorDiagnostic>> published = [];
    private readonly Dictionary<int, TaskCompletionSource<JsonNode?>> pending = [];
    private readonly StringBuilder stderr = new();
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private int nextId;

    private LspClient(Process process)
    {
        this.process = process;
        input = process.StandardInput.BaseStream;
        _ = Task.Run(ReadLoopAsync);
        _ = Task.Run(DispatchLoopAsync);
    }

    public string StdErr { get { lock (stderr) { return stderr.ToString(); } } }

    public static LspClient Start(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        ProcessRunner.Sanitize(startInfo.Environment);
        var process = Process.Start(startInfo)!;
        var client = new LspClient(process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (client.stderr) { client.stderr.AppendLine(e.Data); } } };
        process.BeginErrorReadLine();
        return client;
    }

    public async Task<JsonNode?> RequestAsync(string method, JsonNode? parameters, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref nextId);
        var completion = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pending)
        {
            pending[id] = completion;
        }

        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return await completion.Task.WaitAsync(timeout);
    }

    public Task NotifyAsync(string method, JsonNode? parameters)
        => SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    public IReadOnlyList<EditorDiagnostic> Published(string file)
    {
        lock (published)
        {
            return published.TryGetValue(file, out var list) ? list.ToList() : [];
        }
    }

    public static IReadOnlyList<EditorDiagnostic> ParseDiagnostics(string file, JsonArray? items)
        => items is null
            ? []
            : items.OfType<JsonObject>().Select(d => new EditorDiagnostic(
                d["code"]?.ToString() ?? "",
                file,
                (d["range"]?["start"]?["line"]?.GetValue<int>() ?? -1) + 1,
                d["severity"]?.GetValue<int>() ?? 0,
                d["message"]?.ToString() ?? "")).ToList();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RequestAsync("shutdown", null, TimeSpan.FromSeconds(5));
            await NotifyAsync("exit", null);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
        }

        if (!process.HasExited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }

        process.Dispose();
    }

    private async Task SendAsync(JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        await writeLock.WaitAsync();
        try
        {
            await input.WriteAsync(header);
            await input.WriteAsync(body);
            await input.FlushAsync();
        }
        finally
        {
            writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var output = process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                var length = -1;
                while (true)
                {
                    var line = await ReadHeaderLineAsync(output);
                    if (line is null)
                    {
                        incoming.Writer.TryComplete();
                        return;
                    }

                    if (line.Length == 0)
                    {
                        break;
                    }

                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                var body = new byte[length];
                await output.ReadExactlyAsync(body);
                if (JsonNode.Parse(body) is JsonObject message)
                {
                    await incoming.Writer.WriteAsync(message);
                }
            }
        }
        catch (Exception e)
        {
            incoming.Writer.TryComplete(e);
        }
    }

    private static async Task<string?> ReadHeaderLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }
    }

    private async Task DispatchLoopAsync()
    {
        await foreach (var message in incoming.Reader.ReadAllAsync())
        {
            var method = message["method"]?.GetValue<string>();
            var id = message["id"];
            if (method is null && id is not null)
            {
                TaskCompletionSource<JsonNode?>? completion;
                lock (pending)
                {
                    pending.Remove(id.GetValue<int>(), out completion);
                }

                if (message["error"] is { } error)
                {
                    completion?.TrySetException(new InvalidOperationException(error.ToJsonString()));
                }
                else
                {
                    completion?.TrySetResult(message["result"]?.DeepClone());
                }
            }
            else if (method is not null && id is not null)
            {
                await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(), ["result"] = AnswerServerRequest(method, message["params"]) });
            }
            else if (method == "textDocument/publishDiagnostics")
            {
                var uri = message["params"]?["uri"]?.GetValue<string>() ?? "";
                var file = Path.GetFileName(new Uri(uri).LocalPath);
                lock (published)
                {
                    published[file] = ParseDiagnostics(file, message["params"]?["diagnostics"] as JsonArray).ToList();
                }
            }
        }
    }

    private static JsonNode? AnswerServerRequest(string method, JsonNode? parameters)
    {
        if (method != "workspace/configuration")
        {
            return null; // client/registerCapability, window/workDoneProgress/create, ...
        }

        var settings = new JsonObject { ["analyzersEnabled"] = true, ["logLevel"] = "info" };
        var answers = new JsonArray();
        foreach (var item in (parameters?["items"] as JsonArray) ?? [])
        {
            var section = item?["section"]?.GetValue<string>();
            answers.Add(section switch
            {
                "csharp" => settings.DeepClone(),
                "csharp.analyzersEnabled" => true,
                null or "" => new JsonObject { ["csharp"] = settings.DeepClone() },
                _ => null,
            });
        }

        return answers;
    }
}
