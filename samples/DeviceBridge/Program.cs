// DeviceBridge: the listing's character device, made real in user space.
//   bridge  creates a FIFO (the "device file") and forwards every write into it through SocketDevice to a TCP peer
//   listen  is that peer: prints every message that arrives
//   demo    runs both in one process, writes into the FIFO (also with `echo`) and checks the bytes that arrive
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using DeviceBridge;
using KernelSafety.Runtime;

const string Usage = """
    usage: DeviceBridge <mode> [options]
      demo    [--port 2001] [--framing raw|length|record] [--keep]
              bridge and peer in one process; writes into the FIFO (also via `echo`) and verifies what arrives
      bridge  [--fifo /tmp/kernelsafety-device] [--host 127.0.0.1] [--port 2001] [--framing raw|length|record]
              [--record-size 80] [--allow-remote] [--coalesce]
              forwards every write into the FIFO to the peer: try `echo hello > /tmp/kernelsafety-device`
              (--coalesce: buffer small writes, send within 1 ms, report delivery failures on a later write)
      listen  [--host 127.0.0.1] [--port 2001] [--framing raw|length|record] [--record-size 80]
              the TCP peer: prints what arrives
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

Dictionary<string, string?> options;
try
{
    options = ParseOptions(args.AsSpan(1));
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    return args[0] switch
    {
        "bridge" => RunBridge(options),
        "listen" => await RunListenAsync(options),
        "demo" => await RunDemoAsync(options),
        _ => Fail($"unknown mode '{args[0]}'"),
    };
}
catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or System.ComponentModel.Win32Exception or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    Console.Error.WriteLine(Usage);
    return 2;
}

static Dictionary<string, string?> ParseOptions(ReadOnlySpan<string> args)
{
    var flags = new HashSet<string> { "--allow-remote", "--keep", "--coalesce" };
    var values = new HashSet<string> { "--fifo", "--host", "--port", "--framing", "--record-size" };
    var result = new Dictionary<string, string?>();
    for (int i = 0; i < args.Length; i++)
    {
        string name = args[i];
        if (flags.Contains(name))
        {
            result[name] = null;
        }
        else if (values.Contains(name) && i + 1 < args.Length)
        {
            result[name] = args[++i];
        }
        else
        {
            throw new ArgumentException($"unknown or incomplete option '{name}'");
        }
    }

    return result;
}

static string Get(Dictionary<string, string?> o, string name, string fallback) => o.TryGetValue(name, out var v) && v is not null ? v : fallback;

static SocketDeviceFraming ParseFraming(string text) => text switch
{
    "raw" => SocketDeviceFraming.Raw,
    "length" or "length-prefixed" => SocketDeviceFraming.LengthPrefixed,
    "record" or "fixed-record" => SocketDeviceFraming.FixedRecord,
    _ => throw new ArgumentException($"unknown framing '{text}' (raw, length, record)"),
};

static CancellationTokenSource StopOnSignal()
{
    var cts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cts.Cancel();
    };
    PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
    {
        ctx.Cancel = true;
        cts.Cancel();
    });
    return cts;
}

static void Print(string who, string line)
{
    lock (Console.Out)
    {
        Console.WriteLine($"[{who}] {line}");
    }
}

static void PrintMessage(SocketDeviceFraming framing, int connection, byte[] message)
{
    if (framing == SocketDeviceFraming.FixedRecord)
    {
        var (data, padding) = Peer.TrimPadding(message);
        Print("peer", $"conn {connection}: record of {message.Length} bytes: \"{Peer.Escape(data)}\" + {padding} zero byte(s) of padding");
    }
    else
    {
        string kind = framing == SocketDeviceFraming.Raw ? "received" : "message of";
        Print("peer", $"conn {connection}: {kind} {message.Length} byte(s): \"{Peer.Escape(message)}\"");
    }
}

static int RunBridge(Dictionary<string, string?> o)
{
    string fifo = Path.GetFullPath(Get(o, "--fifo", "/tmp/kernelsafety-device"));
    var framing = ParseFraming(Get(o, "--framing", "raw"));
    var deviceOptions = new SocketDeviceOptions
    {
        Address = IPAddress.Parse(Get(o, "--host", "127.0.0.1")),
        Port = NetworkPort.Parse(Get(o, "--port", "2001")),
        Framing = framing,
        RecordSize = int.Parse(Get(o, "--record-size", "80")),
        OversizedWrite = OversizedWriteBehavior.Split, // a pipe read can exceed one record: send several
        AllowNonLoopback = o.ContainsKey("--allow-remote"),
        Coalesce = o.ContainsKey("--coalesce"),
    };
    using var device = new SocketDevice(deviceOptions);
    bool created = Fifo.Create(fifo);
    using var stop = StopOnSignal();
    try
    {
        var bridge = new Bridge(fifo, device, line => Print("bridge", line));
        Print("bridge", $"{fifo} -> {device.RemoteEndPoint} ({framing}); try: echo hello > {fifo}   (Ctrl+C to stop)");
        var thread = new Thread(() => bridge.Run(stop.Token)) { IsBackground = true, Name = "bridge" };
        thread.Start();
        stop.Token.WaitHandle.WaitOne();
        Fifo.Poke(fifo);
        thread.Join(TimeSpan.FromSeconds(2));
        if (device.IsCoalescing)
        {
            try
            {
                device.Flush(); // report a delivery failure here rather than from Dispose
            }
            catch (SocketDeviceException ex)
            {
                Print("bridge", $"error: {ex.Message} [{ex.SocketError}]");
            }
        }

        Print("bridge", $"stopped: {bridge.BytesForwarded} byte(s) forwarded, {bridge.BytesDropped} dropped");
        return 0;
    }
    finally
    {
        if (created)
        {
            File.Delete(fifo);
        }
    }
}

static async Task<int> RunListenAsync(Dictionary<string, string?> o)
{
    var framing = ParseFraming(Get(o, "--framing", "raw"));
    using var stop = StopOnSignal();
    using var peer = new Peer(
        IPAddress.Parse(Get(o, "--host", "127.0.0.1")), NetworkPort.Parse(Get(o, "--port", "2001")).Value, framing,
        int.Parse(Get(o, "--record-size", "80")), (id, message) => PrintMessage(framing, id, message), line => Print("peer", line));
    Print("peer", $"listening on {peer.EndPoint} ({framing})   (Ctrl+C to stop)");
    await peer.RunAsync(stop.Token);
    return 0;
}

static async Task<int> RunDemoAsync(Dictionary<string, string?> o)
{
    var framing = ParseFraming(Get(o, "--framing", "raw"));
    const int recordSize = 80;
    using var stop = StopOnSignal();

    // The peer: the listing's 127.0.0.1:2001, or an ephemeral port if 2001 is taken.
    var received = new List<byte[]>();
    void OnMessage(int id, byte[] message)
    {
        lock (received)
        {
            received.Add(message);
        }

        PrintMessage(framing, id, message);
    }

    int wanted = NetworkPort.Parse(Get(o, "--port", "2001")).Value;
    Peer peer;
    try
    {
        peer = new Peer(IPAddress.Loopback, wanted, framing, recordSize, OnMessage, line => Print("peer", line));
    }
    catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
    {
        peer = new Peer(IPAddress.Loopback, 0, framing, recordSize, OnMessage, line => Print("peer", line));
        Print("demo", $"port {wanted} is in use; the peer takes {peer.EndPoint.Port} instead");
    }

    using var _ = peer;
    var peerTask = peer.RunAsync(stop.Token);
    Print("peer", $"listening on {peer.EndPoint} ({framing})");

    DirectoryInfo dir = Directory.CreateTempSubdirectory("devicebridge-");
    string fifo = Path.Combine(dir.FullName, "device");
    Fifo.Create(fifo);
    var device = new SocketDevice(new SocketDeviceOptions
    {
        Port = peer.EndPoint.Port,
        Framing = framing,
        RecordSize = recordSize,
        OversizedWrite = OversizedWriteBehavior.Split,
    });
    var bridge = new Bridge(fifo, device, line => Print("bridge", line));
    var bridgeThread = new Thread(() => bridge.Run(stop.Token)) { IsBackground = true, Name = "bridge" };
    bridgeThread.Start();
    Print("bridge", $"device file {fifo} -> {device.RemoteEndPoint}");

    var written = new List<byte[]>
    {
        "hello from user space\n"u8.ToArray(),
        "a second write, exactly 36 bytes...\n"u8.ToArray(),
        new byte[] { 0x01, 0x02, 0xff, (byte)'b', (byte)'i', (byte)'n', (byte)'\n' },
    };
    int exitCode;
    try
    {
        foreach (byte[] data in written)
        {
            // Like a program doing open(); write(); close() on the device file.
            await using (var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
            {
                await writer.WriteAsync(data, stop.Token);
            }

            Print("demo", $"wrote {data.Length} byte(s) into {fifo}: \"{Peer.Escape(data)}\"");
            await Task.Delay(100, stop.Token);
        }

        if (File.Exists("/bin/sh"))
        {
            var echo = Process.Start("/bin/sh", ["-c", $"echo 'hello via echo' > '{fifo}'"]);
            await echo.WaitForExitAsync(stop.Token);
            written.Add("hello via echo\n"u8.ToArray());
            Print("demo", $"ran: echo 'hello via echo' > {fifo}  (exit {echo.ExitCode})");
        }

        exitCode = await VerifyAsync(framing, recordSize, written, received, stop.Token) ? 0 : 1;
        if (o.ContainsKey("--keep") && exitCode == 0)
        {
            Print("demo", $"still running: try  echo hello > {fifo}   (Ctrl+C to stop)");
            stop.Token.WaitHandle.WaitOne();
        }
    }
    catch (OperationCanceledException)
    {
        exitCode = stop.IsCancellationRequested && o.ContainsKey("--keep") ? 0 : 130;
    }
    finally
    {
        stop.Cancel();
        Fifo.Poke(fifo);
        bridgeThread.Join(TimeSpan.FromSeconds(2));
        device.Dispose();
        try
        {
            await peerTask.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
        }

        dir.Delete(recursive: true);
    }

    return exitCode;
}

static async Task<bool> VerifyAsync(SocketDeviceFraming framing, int recordSize, List<byte[]> written, List<byte[]> received, CancellationToken token)
{
    int expectedBytes = framing switch
    {
        SocketDeviceFraming.FixedRecord => written.Sum(w => (w.Length + recordSize - 1) / recordSize * recordSize),
        _ => written.Sum(w => w.Length),
    };
    var deadline = Stopwatch.StartNew();
    byte[][] got;
    while (true)
    {
        lock (received)
        {
            got = received.ToArray();
        }

        if (got.Sum(r => r.Length) >= expectedBytes || deadline.Elapsed > TimeSpan.FromSeconds(10))
        {
            break;
        }

        await Task.Delay(20, token);
    }

    bool ok = framing switch
    {
        SocketDeviceFraming.Raw => got.SelectMany(r => r).SequenceEqual(written.SelectMany(w => w)),
        SocketDeviceFraming.LengthPrefixed => got.Length == written.Count && got.Zip(written).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
        _ => got.Length == written.Count && got.Zip(written).All(p => Peer.TrimPadding(p.First).Data.AsSpan().SequenceEqual(p.Second)
                                                                      && p.First.Length == recordSize),
    };
    int arrived = got.Sum(r => r.Length);
    Print("demo", ok
        ? $"OK: {written.Sum(w => w.Length)} byte(s) written into the device file; {arrived} byte(s) arrived at the peer, exactly those bytes ({framing})"
        : $"FAILED: expected {expectedBytes} byte(s) ({framing}), {arrived} arrived");
    return ok;
}
