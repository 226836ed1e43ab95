using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace KernelSafety.Runtime.Tests;

/// <summary>The opt-in coalescing mode (<see cref="SocketDeviceOptions.Coalesce"/>), over real loopback sockets.</summary>
public class CoalescingTests
{
    private const int T = 20_000; // per-test timeout (ms)

    private static CancellationToken Budget(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static SocketDeviceOptions Coalescing(LoopbackPeer peer, SocketDeviceFraming framing = SocketDeviceFraming.Raw, int bufferSize = 64 * 1024, int delayMs = 1)
    {
        var options = peer.Options(framing);
        options.Coalesce = true;
        options.CoalesceBufferSize = bufferSize;
        options.CoalesceDelay = TimeSpan.FromMilliseconds(delayMs);
        return options;
    }

    [Fact(Timeout = T)]
    public async Task Coalescing_is_off_by_default()
    {
        var options = new SocketDeviceOptions();
        Assert.False(options.Coalesce);
        Assert.Equal(64 * 1024, options.CoalesceBufferSize);
        Assert.Equal(TimeSpan.FromMilliseconds(1), options.CoalesceDelay);

        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options());
        Assert.False(device.IsCoalescing);
        var accept = peer.AcceptAsync(token);
        device.Write("now"u8);
        using Socket conn = await accept;
        Assert.Equal("now"u8.ToArray(), await LoopbackPeer.ReadExactlyAsync(conn, 3, token)); // sent before Write returned
        device.Flush(); // nothing to flush
        await device.FlushAsync(token);
        device.Dispose();
    }

    [Fact(Timeout = T)]
    public async Task Many_small_writes_arrive_whole_in_order_exactly_those_bytes()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(Coalescing(peer, bufferSize: 4096));
        Assert.True(device.IsCoalescing);
        var accept = peer.AcceptAsync(token);

        var expected = new MemoryStream();
        for (int i = 0; i < 5000; i++)
        {
            // Mostly small writes; every 500th is larger than the buffer (sent directly, after what was buffered).
            byte[] chunk = i % 500 == 499 ? Pattern(10_000, i) : Pattern(1 + (i * 37 % 200), i);
            int n = i % 3 == 0 ? await device.WriteAsync(chunk, token) : device.Write(chunk);
            Assert.Equal(chunk.Length, n);
            expected.Write(chunk);
        }

        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadToEndAsync(conn, token);
        await device.DisposeAsync();
        Assert.Equal(expected.ToArray(), await reader);
        Assert.Equal(1, device.ConnectionCount);
    }

    [Theory(Timeout = T)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_flushes_then_closes(bool async)
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(Coalescing(peer, delayMs: 10_000));
        var accept = peer.AcceptAsync(token);
        var expected = new MemoryStream();
        for (int i = 0; i < 1000; i++)
        {
            byte[] chunk = Pattern(1 + (i % 90), i);
            device.Write(chunk);
            expected.Write(chunk);
        }

        if (async)
        {
            await device.DisposeAsync();
        }
        else
        {
            device.Dispose();
        }

        using Socket conn = await accept;
        Assert.Equal(expected.ToArray(), await LoopbackPeer.ReadToEndAsync(conn, token));
        Assert.Throws<ObjectDisposedException>(() => device.Write("late"u8));
        Assert.Throws<ObjectDisposedException>(() => device.Flush());
        device.Dispose(); // idempotent
    }

    [Fact(Timeout = T)]
    public async Task Concurrent_writers_never_interleave_inside_a_message()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        // A small buffer: flushes on full, and messages larger than the buffer go directly.
        var device = new SocketDevice(Coalescing(peer, SocketDeviceFraming.LengthPrefixed, bufferSize: 16 * 1024));
        var accept = peer.AcceptAsync(token);
        device.Write("w9-m0:"u8); // connect before the writers start (an async connect while 8 writers block the 2-core pool can starve)
        device.Flush();
        const int writers = 8, perWriter = 400;

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            for (int m = 0; m < perWriter; m++)
            {
                string head = $"w{w}-m{m}:";
                int size = rng.Next(0, 20) == 0 ? rng.Next(10_000, 40_000) : rng.Next(0, 300);
                byte[] msg = Encoding.ASCII.GetBytes(head + new string((char)('a' + w), size));
                int n = (m % 2 == 0) ? device.Write(msg) : await device.WriteAsync(msg, token);
                Assert.Equal(msg.Length, n);
                if (m % 97 == 0)
                {
                    await device.FlushAsync(token);
                }
            }
        }, token)).ToArray();

        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadFramesToEndAsync(conn, token);
        await Task.WhenAll(tasks);
        await device.DisposeAsync();
        var frames = await reader;

        Assert.Equal("w9-m0:", Encoding.ASCII.GetString(frames[0]));
        frames.RemoveAt(0);
        Assert.Equal(writers * perWriter, frames.Count);
        WriterMessages.AssertWholeOnceAndInOrder(frames, writers, perWriter);

        Assert.Equal(1, device.ConnectionCount);
    }

    [Theory(Timeout = T)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Flush_failure_is_thrown_directly_with_the_count(bool async)
    {
        var token = Budget();
        var peer = new LoopbackPeer();
        using var device = new SocketDevice(Coalescing(peer, SocketDeviceFraming.LengthPrefixed, delayMs: 10_000));
        var accept = peer.AcceptAsync(token);
        device.Write("hello"u8);
        device.Flush();
        using (Socket conn = await accept)
        {
            Assert.Equal(9, (await LoopbackPeer.ReadExactlyAsync(conn, 9, token)).Length);
            conn.Shutdown(SocketShutdown.Both);
        }

        peer.Dispose();
        await Task.Delay(100, token);
        device.Write(Pattern(46)); // 4 + 46 = 50 bytes buffered
        var ex = async
            ? await Assert.ThrowsAsync<SocketDeviceException>(async () => await device.FlushAsync(token))
            : Assert.Throws<SocketDeviceException>(() => device.Flush());
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketError);
        Assert.Equal(50, ex.BufferedBytesLost);
        Assert.Contains("50 buffered bytes were not delivered", ex.Message);
        device.Flush(); // dropped once reported: nothing left, nothing to report
    }

    [Fact(Timeout = T)]
    public async Task Failure_while_making_room_is_thrown_by_that_write_which_is_not_accepted()
    {
        var token = Budget();
        var peer = new LoopbackPeer();
        using var device = new SocketDevice(Coalescing(peer, bufferSize: 256, delayMs: 10_000));
        var accept = peer.AcceptAsync(token);
        device.Write("x"u8);
        device.Flush();
        (await accept).Dispose();
        peer.Dispose();
        await Task.Delay(100, token);

        device.Write(Pattern(200));
        var ex = Assert.Throws<SocketDeviceException>(() => device.Write(Pattern(100))); // does not fit: flush first, which fails
        Assert.Equal(200, ex.BufferedBytesLost);
        Assert.Contains("This write (100 bytes) was not accepted", ex.Message);
    }

    [Fact(Timeout = T)]
    public async Task After_the_peer_closed_the_next_flush_uses_a_new_connection()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        using var device = new SocketDevice(Coalescing(peer, SocketDeviceFraming.LengthPrefixed));
        var accept1 = peer.AcceptAsync(token);
        device.Write("first"u8);
        using (Socket conn1 = await accept1)
        {
            Assert.Equal("first", Encoding.ASCII.GetString(await LoopbackPeer.ReadExactlyAsync(conn1, 9, token), 4, 5));
            conn1.Shutdown(SocketShutdown.Both);
        }

        await Task.Delay(100, token);
        var accept2 = peer.AcceptAsync(token);
        device.Write("second"u8);
        await device.WriteAsync("third"u8.ToArray(), token);
        using Socket conn2 = await accept2;
        device.Dispose();
        var frames = await LoopbackPeer.ReadFramesToEndAsync(conn2, token);
        Assert.Equal(["second", "third"], frames.Select(f => Encoding.ASCII.GetString(f)).ToArray());
        Assert.Equal(2, device.ConnectionCount);
    }

    [Fact(Timeout = T)]
    public async Task Fixed_records_through_the_buffer_are_byte_exact()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = Coalescing(peer, SocketDeviceFraming.FixedRecord, bufferSize: 1000);
        options.OversizedWrite = OversizedWriteBehavior.Split;
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        var expected = new MemoryStream();
        var rng = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            // 1..80 bytes (one record), sometimes 81..250 (split into records), after full records (stale bytes would show).
            int size = i % 10 == 9 ? rng.Next(81, 251) : rng.Next(1, 81);
            byte[] data = Pattern(size, i);
            Assert.Equal(size, i % 2 == 0 ? device.Write(data) : await device.WriteAsync(data, token));
            for (int at = 0; at < size; at += 80)
            {
                var record = new byte[80];
                data.AsSpan(at, Math.Min(80, size - at)).CopyTo(record);
                expected.Write(record);
            }

            if (i % 50 == 0)
            {
                device.Flush();
            }
        }

        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadToEndAsync(conn, token);
        device.Dispose();
        Assert.Equal(expected.ToArray(), await reader);
    }

    [Fact(Timeout = T)]
    public async Task Length_prefixed_messages_through_the_buffer_are_byte_exact()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        var options = Coalescing(peer, SocketDeviceFraming.LengthPrefixed, bufferSize: 1024);
        options.MaxWriteSize = 300;
        options.OversizedWrite = OversizedWriteBehavior.Split;
        var device = new SocketDevice(options);
        var accept = peer.AcceptAsync(token);
        var expected = new MemoryStream();
        var rng = new Random(9);
        byte[] prefix = new byte[4];
        for (int i = 0; i < 400; i++)
        {
            // Up to 300 bytes: one message; up to 900: split into messages of 300; over 1024 framed: sent directly.
            int size = rng.Next(0, 8) switch { 0 => rng.Next(301, 900), 1 => rng.Next(1100, 2000), _ => rng.Next(1, 301) };
            byte[] data = Pattern(size, i);
            Assert.Equal(size, i % 2 == 0 ? device.Write(data) : await device.WriteAsync(data, token));
            for (int at = 0; at < size; at += 300)
            {
                int chunk = Math.Min(300, size - at);
                BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)chunk);
                expected.Write(prefix);
                expected.Write(data, at, chunk);
            }
        }

        using Socket conn = await accept;
        var reader = LoopbackPeer.ReadToEndAsync(conn, token);
        await device.DisposeAsync();
        Assert.Equal(expected.ToArray(), await reader);
    }

    [Fact(Timeout = T)]
    public async Task Invalid_coalescing_settings_are_rejected_with_clear_messages()
    {
        foreach (int size in new[] { 0, -1, 255, (16 << 20) + 1 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { Coalesce = true, CoalesceBufferSize = size }));
            Assert.Contains("SocketDeviceOptions.CoalesceBufferSize", ex.Message);
            Assert.Contains("256..16777216", ex.Message);
        }

        foreach (var delay in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(0.5), TimeSpan.FromSeconds(11), Timeout.InfiniteTimeSpan })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SocketDevice(new SocketDeviceOptions { Coalesce = true, CoalesceDelay = delay }));
            Assert.Contains("SocketDeviceOptions.CoalesceDelay", ex.Message);
            Assert.Contains("1 ms..10 s", ex.Message);
        }

        using var smallest = new SocketDevice(new SocketDeviceOptions { Coalesce = true, CoalesceBufferSize = 256, CoalesceDelay = TimeSpan.FromMilliseconds(1) });
        using var largest = new SocketDevice(new SocketDeviceOptions { Coalesce = true, CoalesceBufferSize = 16 << 20, CoalesceDelay = TimeSpan.FromSeconds(10) });
        Assert.True(smallest.IsCoalescing);
        await Task.CompletedTask;
    }
}

[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection
{
}

/// <summary>Coalescing tests that bound delivery times: they run alone, because the flush timer and the test's own
/// continuations need thread-pool threads, which other tests' blocked synchronous writers can hold for seconds.</summary>
[Collection(nameof(TimingCollection))]
public class CoalescingTimingTests
{
    private const int T = 20_000;

    private static CancellationToken Budget(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static SocketDeviceOptions Coalescing(LoopbackPeer peer, int delayMs)
    {
        var options = peer.Options();
        options.Coalesce = true;
        options.CoalesceDelay = TimeSpan.FromMilliseconds(delayMs);
        return options;
    }

    [Fact(Timeout = T)]
    public async Task Flush_delivers_at_once()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        using var device = new SocketDevice(Coalescing(peer, delayMs: 10_000));
        var accept = peer.AcceptAsync(token);
        byte[] first = Pattern(100, 1);
        Assert.Equal(100, device.Write(first));

        await Task.Delay(200, token);
        Assert.False(accept.IsCompleted, "nothing is sent (not even a connect) before the delay or a flush");

        var watch = Stopwatch.StartNew();
        device.Flush();
        using Socket conn = await accept;
        Assert.Equal(first, await LoopbackPeer.ReadExactlyAsync(conn, 100, token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"Flush took {watch.Elapsed}");

        byte[] second = Pattern(300, 2);
        Assert.Equal(300, await device.WriteAsync(second, token));
        await Task.Delay(100, token);
        Assert.Equal(0, conn.Available);
        await device.FlushAsync(token);
        Assert.Equal(second, await LoopbackPeer.ReadExactlyAsync(conn, 300, token));
    }

    [Fact(Timeout = T)]
    public async Task Without_flush_bytes_arrive_shortly_after_the_delay()
    {
        var token = Budget();
        using var peer = new LoopbackPeer();
        const int delayMs = 50;
        using var device = new SocketDevice(Coalescing(peer, delayMs: delayMs));
        var accept = peer.AcceptAsync(token);
        device.Write("connect"u8);
        using Socket conn = await accept; // the timer's flush connected
        Assert.Equal("connect"u8.ToArray(), await LoopbackPeer.ReadExactlyAsync(conn, 7, token));

        for (int i = 0; i < 5; i++)
        {
            await Task.Delay(delayMs * 2, token); // the timer is idle again
            byte[] msg = Pattern(64, i);
            var watch = Stopwatch.StartNew();
            device.Write(msg);
            Assert.Equal(msg, await LoopbackPeer.ReadExactlyAsync(conn, msg.Length, token));
            TimeSpan waited = watch.Elapsed;
            Assert.True(waited >= TimeSpan.FromMilliseconds(delayMs - 10), $"arrived after {waited.TotalMilliseconds:0} ms, before the delay");
            Assert.True(waited < TimeSpan.FromMilliseconds(delayMs + 500), $"arrived after {waited.TotalMilliseconds:0} ms");
        }
    }

    [Fact(Timeout = T)]
    public async Task Background_flush_failure_surfaces_on_the_next_write_with_the_count()
    {
        var token = Budget();
        var peer = new LoopbackPeer();
        var device = new SocketDevice(Coalescing(peer, delayMs: 50));
        var accept = peer.AcceptAsync(token);
        device.Write("hello"u8);
        device.Flush();
        using (Socket conn = await accept)
        {
            Assert.Equal("hello"u8.ToArray(), await LoopbackPeer.ReadExactlyAsync(conn, 5, token));
            conn.LingerState = new LingerOption(true, 0); // abortive close: RST
            conn.Close();
        }

        peer.Dispose(); // nothing listens any more: the reconnect is refused
        await Task.Delay(100, token);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(10, device.Write(Pattern(10, i))); // accepted into the buffer
        }

        await Task.Delay(400, token); // the timer's flush fails meanwhile

        var ex = Assert.Throws<SocketDeviceException>(() => device.Write("next"u8));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketError);
        Assert.Equal(30, ex.BufferedBytesLost);
        Assert.Equal(0, ex.BytesWritten);
        Assert.Contains("30 buffered bytes were not delivered", ex.Message);
        Assert.Contains("This write (4 bytes) was not accepted", ex.Message);
        Assert.False(device.IsConnected);

        // Reported once: the next write is accepted again (and its own failure reported later, here by Dispose).
        Assert.Equal(7, await device.WriteAsync("another"u8.ToArray(), token));
        var disposeError = Assert.Throws<SocketDeviceException>(() => device.Dispose());
        Assert.Equal(7, disposeError.BufferedBytesLost);
        Assert.Throws<ObjectDisposedException>(() => device.Write("x"u8));
    }
}
