using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KernelSafety.Runtime.Tests;

public class SocketDeviceTests
{
    private const int T = 20_000; // per-test timeout (ms)

    private static CancellationToken Budget(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact(Timeout = T)]
    public async Task Raw_writes_arrive_exactly_over_one_reused_connection()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options());
        var accept = peer.AcceptAsync(token);

        var expected = new MemoryStream();
        for (int i = 0; i < 50; i++)
        {
            byte[] chunk = Pattern(1 + (i * 37 % 500), i);
            int n = i % 2 == 0 ? device.Write(chunk) : await device.WriteAsync(chunk, token);
            Assert.Equal(chunk.Length, n);
            expected.Write(chunk);
        }

        using Socket conn = await accept;
        await device.DisposeAsync();
        byte[] got = await LoopbackPeer.ReadToEndAsync(conn, token);
        Assert.Equal(expected.ToArray(), got);
        Assert.Equal(1, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task A_fixed_send_buffer_carries_large_writes_exactly()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.SendBufferSize = SocketDeviceOptions.MinSendBufferSize; // far smaller than a write: many partial sends
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        var received = Task.Run(async () =>
        {
            using Socket conn = await accept;
            return await LoopbackPeer.ReadToEndAsync(conn, token); // reads while the device writes
        });

        byte[] data = Pattern(256 * 1024, 7);
        Assert.Equal(data.Length, device.Write(data));
        Assert.Equal(data.Length, await device.WriteAsync(data, token));
        await device.DisposeAsync();
        Assert.Equal(data.Concat(data).ToArray(), await received);
    }

    [Fact(Timeout = T)]
    public async Task Design_note_api_compiles_and_defaults_are_safe()
    {
        var options = new SocketDeviceOptions { Port = 2001 };
        Assert.Equal(IPAddress.Loopback, options.Address);
        Assert.Equal(2001, options.Port.Value);
        Assert.False(options.AllowNonLoopback);
        using var device = new SocketDevice(options);
        Assert.False(device.IsConnected);
        Assert.Equal(0, device.Write(ReadOnlySpan<byte>.Empty));
        await Task.CompletedTask;
    }

    [Fact(Timeout = T)]
    public async Task Peer_not_listening_surfaces_connection_refused_with_zero_bytes_written()
    {
        int port = LoopbackPeer.UnusedPort();
        using var device = new SocketDevice(new SocketDeviceOptions { Port = port, ConnectTimeout = TimeSpan.FromSeconds(3) });

        var ex = Assert.Throws<SocketDeviceException>(() => device.Write("hello"u8));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketError);
        Assert.Equal(0, ex.BytesWritten);
        Assert.Contains(port.ToString(), ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);

        var ex2 = await Assert.ThrowsAsync<SocketDeviceException>(async () => await device.WriteAsync("hello"u8.ToArray(), Budget()));
        Assert.Equal(SocketError.ConnectionRefused, ex2.SocketError);
        Assert.Equal(0, ex2.BytesWritten);
        Assert.False(device.IsConnected);
    }

    [Fact(Timeout = T)]
    public async Task Connect_times_out_when_the_peer_never_accepts()
    {
        var token = Budget();
        using var peer = new LoopbackPeer(backlog: 1);
        // Fill the accept queue (never accepted) so further SYNs are dropped and a connect hangs.
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(s);
                var connect = s.ConnectAsync(IPAddress.Loopback, peer.Port, token).AsTask();
                if (await Task.WhenAny(connect, Task.Delay(300, token)) != connect)
                {
                    break; // the queue is full
                }
            }

            using var device = new SocketDevice(new SocketDeviceOptions { Port = peer.Port, ConnectTimeout = TimeSpan.FromMilliseconds(400) });
            var started = DateTime.UtcNow;
            var ex = await Assert.ThrowsAsync<SocketDeviceException>(() => Task.Run(() => device.Write("x"u8)));
            Assert.Equal(SocketError.TimedOut, ex.SocketError);
            Assert.Equal(0, ex.BytesWritten);
            Assert.Contains("ConnectTimeout", ex.Message);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        }
        finally
        {
            foreach (var s in fillers)
            {
                s.Dispose();
            }
        }
    }

    [Fact(Timeout = T)]
    public async Task Reconnects_after_the_peer_closed_and_loses_nothing()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        using var device = new SocketDevice(peer.Options(SocketDeviceFraming.LengthPrefixed));

        var accept1 = peer.AcceptAsync(token);
        device.Write("first"u8);
        using (Socket conn1 = await accept1)
        {
            byte[] frame = await LoopbackPeer.ReadExactlyAsync(conn1, 4 + 5, token);
            Assert.Equal("first", Encoding.ASCII.GetString(frame, 4, 5));
            conn1.Shutdown(SocketShutdown.Both);
        }

        await Task.Delay(100, token); // let the FIN arrive
        var accept2 = peer.AcceptAsync(token);
        Assert.Equal(6, await device.WriteAsync("second"u8.ToArray(), token));
        device.Write("third"u8);
        using Socket conn2 = await accept2;
        device.Dispose();
        var frames = await LoopbackPeer.ReadFramesToEndAsync(conn2, token);
        Assert.Equal(["second", "third"], frames.Select(f => Encoding.ASCII.GetString(f)).ToArray());
        Assert.Equal(2, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Peer_closing_mid_stream_reports_how_many_bytes_went_out()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 16 << 20;
        using var device = new SocketDevice(options);
        byte[] big = Pattern(16 << 20);

        var peerTask = Task.Run(async () =>
        {
            using Socket conn = await peer.AcceptAsync(token);
            byte[] got = await LoopbackPeer.ReadExactlyAsync(conn, 100_000, token);
            conn.LingerState = new LingerOption(true, 0); // abortive close: RST
            conn.Close();
            return got;
        }, token);

        var ex = await Assert.ThrowsAsync<SocketDeviceException>(() => Task.Run(() => device.Write(big), token));
        byte[] received = await peerTask;
        Assert.Equal(big.AsSpan(0, received.Length).ToArray(), received);
        Assert.InRange(ex.BytesWritten, received.Length, big.Length - 1);
        Assert.Contains(ex.SocketError, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.ConnectionAborted });
        Assert.Contains($"{ex.BytesWritten} of {big.Length}", ex.Message);
        Assert.False(device.IsConnected);

        // The device is usable again: the next write reconnects.
        var accept = peer.AcceptAsync(token);
        device.Write("again"u8);
        using Socket conn2 = await accept;
        Assert.Equal("again"u8.ToArray(), await LoopbackPeer.ReadExactlyAsync(conn2, 5, token));
        Assert.Equal(2, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Slow_peer_makes_writers_wait_with_bounded_memory()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 8 << 20;
        using var device = new SocketDevice(options);
        byte[] big = Pattern(8 << 20, 7);
        var accept = peer.AcceptAsync(token);

        long allocated = -1;
        var writer = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            device.Write("warm"u8); // connect (allocates once)
            long afterConnect = GC.GetAllocatedBytesForCurrentThread();
            int n = device.Write(big);
            allocated = GC.GetAllocatedBytesForCurrentThread() - afterConnect;
            _ = before;
            return n;
        }, token);

        using Socket conn = await accept;
        await Task.Delay(400, token);
        Assert.False(writer.IsCompleted, "the writer must wait while the peer does not read");

        // A second writer waits its turn (no queue, no interleaving).
        var second = Task.Run(() => device.Write("tail"u8), token);
        await Task.Delay(100, token);
        Assert.False(second.IsCompleted);

        var reader = LoopbackPeer.ReadExactlyAsync(conn, 4 + big.Length + 4, token);
        Assert.Equal(big.Length, await writer);
        Assert.Equal(4, await second);
        byte[] got = await reader;
        Assert.Equal("warm"u8.ToArray(), got[..4]);
        Assert.True(got.AsSpan(4, big.Length).SequenceEqual(big));
        Assert.Equal("tail"u8.ToArray(), got[^4..]);
        Assert.InRange(allocated, 0, 4096); // no copy of the 8 MiB write, no queue
    }

    [Fact(Timeout = T)]
    public async Task Many_concurrent_writers_every_message_arrives_whole_once()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options(SocketDeviceFraming.LengthPrefixed));
        var accept = peer.AcceptAsync(token);
        const int writers = 8, perWriter = 250;

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            for (int m = 0; m < perWriter; m++)
            {
                // Sizes up to 40 KB so some messages take the two-send (prefix, then payload) path.
                string head = $"w{w}-m{m}:";
                int size = rng.Next(0, 4) == 0 ? rng.Next(17_000, 40_000) : rng.Next(0, 300);
                byte[] msg = Encoding.ASCII.GetBytes(head + new string((char)('a' + w), size));
                int n = (m % 2 == 0) ? device.Write(msg) : await device.WriteAsync(msg, token);
                Assert.Equal(msg.Length, n);
            }
        }, token)).ToArray();

        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadFramesToEndAsync(conn, token);
        await Task.WhenAll(tasks);
        await device.DisposeAsync();
        var frames = await reader;

        Assert.Equal(writers * perWriter, frames.Count);
        WriterMessages.AssertWholeOnceAndInOrder(frames, writers, perWriter);

        Assert.Equal(1, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Oversized_write_is_rejected_naming_the_limit_and_nothing_is_sent()
    {
        using var peer = new LoopbackPeer();
        using var record = new SocketDevice(peer.Options(SocketDeviceFraming.FixedRecord));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => record.Write(new byte[81]));
        Assert.Contains("80", ex.Message);
        Assert.Contains("RecordSize", ex.Message);
        Assert.False(record.IsConnected);

        var options = peer.Options(SocketDeviceFraming.LengthPrefixed);
        options.MaxWriteSize = 1000;
        using var framed = new SocketDevice(options);
        var ex2 = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await framed.WriteAsync(new byte[1001], Budget()));
        Assert.Contains("1000", ex2.Message);
        Assert.Contains("MaxWriteSize", ex2.Message);
        Assert.Equal(0, framed.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Oversized_write_is_split_when_asked()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options(SocketDeviceFraming.LengthPrefixed);
        options.MaxWriteSize = 10;
        options.OversizedWrite = OversizedWriteBehavior.Split;
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        byte[] data = Encoding.ASCII.GetBytes("0123456789abcdefghijKLMNO");
        Assert.Equal(25, device.Write(data));
        using Socket conn = await accept;
        device.Dispose();
        var frames = await LoopbackPeer.ReadFramesToEndAsync(conn, token);
        Assert.Equal(["0123456789", "abcdefghij", "KLMNO"], frames.Select(f => Encoding.ASCII.GetString(f)).ToArray());

        var recordOptions = peer.Options(SocketDeviceFraming.FixedRecord);
        recordOptions.OversizedWrite = OversizedWriteBehavior.Split;
        var recordDevice = new SocketDevice(recordOptions);
        accept = peer.AcceptAsync(token);
        byte[] text = Pattern(200, 3);
        Assert.Equal(200, await recordDevice.WriteAsync(text, token));
        using Socket conn2 = await accept;
        await recordDevice.DisposeAsync();
        byte[] got = await LoopbackPeer.ReadToEndAsync(conn2, token);
        Assert.Equal(240, got.Length);
        Assert.Equal(text, got[..200]);
        Assert.All(got[200..], b => Assert.Equal(0, b));
    }

    [Fact(Timeout = T)]
    public async Task Empty_writes_return_zero_and_send_nothing()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        foreach (var framing in new[] { SocketDeviceFraming.Raw, SocketDeviceFraming.LengthPrefixed, SocketDeviceFraming.FixedRecord })
        {
            using var device = new SocketDevice(peer.Options(framing));
            Assert.Equal(0, device.Write(ReadOnlySpan<byte>.Empty));
            Assert.Equal(0, await device.WriteAsync(ReadOnlyMemory<byte>.Empty, token));
            Assert.False(device.IsConnected);
            Assert.Equal(0, device.ConnectionCount);
        }
    }

    [Fact(Timeout = T)]
    public async Task Fixed_records_are_zero_padded_and_never_leak_stale_bytes()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options(SocketDeviceFraming.FixedRecord));
        var accept = peer.AcceptAsync(token);
        byte[] full = Enumerable.Repeat((byte)'X', 80).ToArray();
        device.Write(full);
        device.Write("hello\n"u8);
        await device.WriteAsync("hi"u8.ToArray(), token);
        using Socket conn = await accept;
        device.Dispose();
        byte[] got = await LoopbackPeer.ReadToEndAsync(conn, token);
        Assert.Equal(240, got.Length);
        Assert.Equal(full, got[..80]);
        Assert.Equal("hello\n"u8.ToArray(), got[80..86]);
        Assert.All(got[86..160], b => Assert.Equal(0, b)); // not the X's of the previous record
        Assert.Equal("hi"u8.ToArray(), got[160..162]);
        Assert.All(got[162..240], b => Assert.Equal(0, b));
    }

    [Fact(Timeout = T)]
    public async Task Cancellation_before_sending_leaves_the_connection_usable()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options());
        var accept = peer.AcceptAsync(token);
        device.Write("a"u8);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await device.WriteAsync("zzz"u8.ToArray(), cancelled.Token));
        device.Write("b"u8);
        using Socket conn = await accept;
        device.Dispose();
        Assert.Equal("ab"u8.ToArray(), await LoopbackPeer.ReadToEndAsync(conn, token));
        Assert.Equal(1, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Cancellation_while_waiting_for_another_writer_sends_nothing()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 16 << 20;
        using var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        byte[] big = Pattern(16 << 20, 5);
        var blocker = Task.Run(() => device.Write(big), token);
        using Socket conn = await accept;
        await Task.Delay(200, token);
        Assert.False(blocker.IsCompleted);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await device.WriteAsync("never"u8.ToArray(), cts.Token));

        var reader = LoopbackPeer.ReadExactlyAsync(conn, big.Length, token);
        Assert.Equal(big.Length, await blocker);
        Assert.True((await reader).AsSpan().SequenceEqual(big));
    }

    [Fact(Timeout = T)]
    public async Task Cancellation_mid_send_reports_exactly_the_bytes_that_went_out()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 16 << 20;
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);

        // Connected first, so the cancellation lands in the send and not in the connect: on a busy machine a connect can
        // take longer than any fixed delay (a 300 ms timer started before the write once cancelled the connect instead).
        Assert.Equal(1, await device.WriteAsync(new byte[] { 0xEE }, token));
        using Socket conn = await accept;
        var first = new byte[1];
        Assert.Equal(1, await conn.ReceiveAsync(first, SocketFlags.None, token));

        // The peer now reads nothing: 16 MB do not fit in loopback's buffers, so the send blocks part way. Cancel once
        // some of it has reached the peer.
        byte[] big = Pattern(16 << 20, 9);
        using var cts = new CancellationTokenSource();
        var write = device.WriteAsync(big, cts.Token).AsTask();
        while (conn.Available == 0 && !write.IsCompleted)
        {
            await Task.Delay(5, token);
        }

        cts.Cancel();
        var ex = await Assert.ThrowsAsync<SocketDeviceException>(() => write);
        Assert.Equal(SocketError.OperationAborted, ex.SocketError);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        Assert.InRange(ex.BytesWritten, 1, big.Length - 1);

        byte[] got = await LoopbackPeer.ReadToEndAsync(conn, token);
        Assert.Equal(ex.BytesWritten, got.Length);
        Assert.True(got.AsSpan().SequenceEqual(big.AsSpan(0, got.Length)));

        // Next write reconnects.
        var accept2 = peer.AcceptAsync(token);
        Assert.Equal(2, await device.WriteAsync("ok"u8.ToArray(), token));
        using Socket conn2 = await accept2;
        await device.DisposeAsync();
        Assert.Equal("ok"u8.ToArray(), await LoopbackPeer.ReadToEndAsync(conn2, token));
    }

    [Fact(Timeout = T)]
    public async Task Send_timeout_reports_exactly_the_bytes_that_went_out()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 16 << 20;
        options.SendTimeout = TimeSpan.FromMilliseconds(300);
        using var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        byte[] big = Pattern(16 << 20, 11);
        var ex = await Assert.ThrowsAsync<SocketDeviceException>(() => Task.Run(() => device.Write(big), token));
        Assert.Equal(SocketError.TimedOut, ex.SocketError);
        Assert.Contains("SendTimeout", ex.Message);
        Assert.InRange(ex.BytesWritten, 1, big.Length - 1);
        using Socket conn = await accept;
        byte[] got = await LoopbackPeer.ReadToEndAsync(conn, token);
        Assert.Equal(ex.BytesWritten, got.Length);

        // Same for the asynchronous path.
        var accept2 = peer.AcceptAsync(token);
        var ex2 = await Assert.ThrowsAsync<SocketDeviceException>(async () => await device.WriteAsync(big, token));
        Assert.Equal(SocketError.TimedOut, ex2.SocketError);
        using Socket conn2 = await accept2;
        byte[] got2 = await LoopbackPeer.ReadToEndAsync(conn2, token);
        Assert.Equal(ex2.BytesWritten, got2.Length);
        Assert.True(got2.AsSpan().SequenceEqual(big.AsSpan(0, got2.Length)));
    }

    [Fact(Timeout = T)]
    public async Task Dispose_flushes_everything_then_closes()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = peer.Options();
        options.MaxWriteSize = 4 << 20;
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        byte[] data = Pattern(4 << 20, 13);
        var writer = Task.Run(() => device.Write(data), token);
        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadToEndAsync(conn, token);
        await writer;
        device.Dispose();
        Assert.Equal(data.Length, (await reader).Length);
        Assert.Throws<ObjectDisposedException>(() => device.Write("late"u8));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await device.WriteAsync("late"u8.ToArray(), token));
        device.Dispose(); // idempotent
    }

    [Theory(Timeout = T)]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.1.10")]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:10.1.2.3")]
    public async Task Non_loopback_destination_is_rejected_before_any_connect(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SocketDevice(new SocketDeviceOptions { Address = IPAddress.Parse(address), Port = 2001 }));
        Assert.Contains("loopback", ex.Message);
        Assert.Contains("AllowNonLoopback", ex.Message);
        Assert.Contains("No connection was attempted", ex.Message);

        // Allowed explicitly, the device is created but (in this test) never written to.
        using var allowed = new SocketDevice(new SocketDeviceOptions { Address = IPAddress.Parse(address), Port = 2001, AllowNonLoopback = true });
        Assert.False(allowed.IsConnected);
        await Task.CompletedTask;
    }

    [Theory(Timeout = T)]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.6.7")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task Loopback_destinations_are_accepted(string address)
    {
        using var device = new SocketDevice(new SocketDeviceOptions { Address = IPAddress.Parse(address), Port = 2001 });
        Assert.Equal(2001, device.RemoteEndPoint.Port);
        await Task.CompletedTask;
    }

    [Fact(Timeout = T)]
    public async Task Invalid_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { Port = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDeviceOptions { Port = 65536 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDeviceOptions { Port = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { Framing = SocketDeviceFraming.FixedRecord, RecordSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { MaxWriteSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { SendTimeout = TimeSpan.Zero }));
        var small = Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { SendBufferSize = 100 }));
        Assert.Contains("SendBufferSize", small.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { SendBufferSize = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { SendBufferSize = SocketDeviceOptions.MaxSendBufferSize + 1 }));
        Assert.Throws<ArgumentNullException>(() => new SocketDevice(null!));
        await Task.CompletedTask;
    }
}
