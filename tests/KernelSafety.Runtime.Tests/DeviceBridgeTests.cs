using System.Diagnostics;
using System.Net.Sockets;
using DeviceBridge;

namespace KernelSafety.Runtime.Tests;

/// <summary>The sample's FIFO bridge end to end: `echo` into the device file, exact bytes at a loopback peer.</summary>
public class DeviceBridgeTests
{
    [Theory(Timeout = 20_000)]
    [InlineData(SocketDeviceFraming.Raw)]
    [InlineData(SocketDeviceFraming.FixedRecord)]
    public async Task Echo_into_the_fifo_delivers_exactly_those_bytes(SocketDeviceFraming framing)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/bin/sh"))
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var dir = Directory.CreateTempSubdirectory("ks-bridge-test-");
        string fifo = Path.Combine(dir.FullName, "device");
        try
        {
            Assert.True(Fifo.Create(fifo));
            Assert.True(Fifo.IsFifo(fifo));
            Assert.False(Fifo.Create(fifo)); // already there: reused

            using var peer = new LoopbackPeer();
            var options = peer.Options(framing);
            options.OversizedWrite = OversizedWriteBehavior.Split;
            using var device = new SocketDevice(options);
            var log = new List<string>();
            var bridge = new Bridge(fifo, device, line => { lock (log) { log.Add(line); } });
            using var stop = new CancellationTokenSource();
            var thread = new Thread(() => bridge.Run(stop.Token)) { IsBackground = true };
            thread.Start();
            var accept = peer.AcceptAsync(cts.Token);

            // One writer at a time, each waited for at the peer (two quick writers could share one pipe read).
            byte[] first = framing == SocketDeviceFraming.Raw ? "hello\n"u8.ToArray() : Record("hello\n"u8);
            byte[] second = framing == SocketDeviceFraming.Raw ? [.. "exact\0bytes"u8, 0xff] : Record([.. "exact\0bytes"u8, 0xff]);
            await Shell($"echo hello > '{fifo}'", cts.Token);
            using Socket conn = await accept;
            Assert.Equal(first, await LoopbackPeer.ReadExactlyAsync(conn, first.Length, cts.Token));
            await Shell($"printf 'exact\\000bytes\\377' > '{fifo}'", cts.Token);
            Assert.Equal(second, await LoopbackPeer.ReadExactlyAsync(conn, second.Length, cts.Token));

            stop.Cancel();
            Fifo.Poke(fifo);
            Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
            Assert.Equal(18, bridge.BytesForwarded);
            Assert.Equal(0, bridge.BytesDropped);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Bridge_reports_dropped_bytes_when_the_peer_is_down()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/bin/sh"))
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var dir = Directory.CreateTempSubdirectory("ks-bridge-test-");
        string fifo = Path.Combine(dir.FullName, "device");
        try
        {
            Fifo.Create(fifo);
            using var device = new SocketDevice(new SocketDeviceOptions { Port = LoopbackPeer.UnusedPort() });
            var log = new List<string>();
            var bridge = new Bridge(fifo, device, line => { lock (log) { log.Add(line); } });
            using var stop = new CancellationTokenSource();
            var thread = new Thread(() => bridge.Run(stop.Token)) { IsBackground = true };
            thread.Start();
            await Shell($"echo lost > '{fifo}'", cts.Token);
            var deadline = Stopwatch.StartNew();
            while (bridge.BytesDropped == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20, cts.Token);
            }

            stop.Cancel();
            Fifo.Poke(fifo);
            Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
            Assert.Equal(5, bridge.BytesDropped);
            lock (log)
            {
                Assert.Contains(log, line => line.Contains("ConnectionRefused"));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static byte[] Record(ReadOnlySpan<byte> data)
    {
        var record = new byte[80];
        data.CopyTo(record);
        return record;
    }

    private static async Task Shell(string command, CancellationToken token)
    {
        using var process = Process.Start("/bin/sh", ["-c", command]);
        await process.WaitForExitAsync(token);
        Assert.Equal(0, process.ExitCode);
    }
}
