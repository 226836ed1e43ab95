using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Sockets.Telemetry;

public enum MetricKind
{
    Counter = 0,
    Gauge = 1,
    Timing = 2,
    Histogram = 3,
    Set = 4,
}

/// <summary>
/// StatsD line-protocol client. Lines are batched into datagrams no larger than
/// <see cref="MaxPacketSize"/> and flushed when full or on a timer. The socket is
/// non-blocking: a metric is dropped rather than ever stalling the caller.
/// </summary>
public sealed class StatsDClient : IDisposable
{
    /// <summary>Fits in one 1500-byte Ethernet frame after IPv6 (40) and UDP (8) headers, with headroom for tunnels.</summary>
    public const int MaxPacketSize = 1432;

    // Indexed by MetricKind; never modified.
    private static readonly byte[][] s_suffixes =
    {
        "|c"u8.ToArray(),
        "|g"u8.ToArray(),
        "|ms"u8.ToArray(),
        "|h"u8.ToArray(),
        "|s"u8.ToArray(),
    };

    private readonly Socket _socket;
    private readonly byte[] _prefix;
    private readonly object _batchLock = new();
    private readonly byte[] _batch = new byte[MaxPacketSize];
    private readonly Timer _flushTimer;
    private int _batchLength;
    private int _batchLines;
    private long _droppedLines;
    private bool _disposed;

    public StatsDClient(IPEndPoint server, string prefix, TimeSpan flushInterval)
    {
        ArgumentNullException.ThrowIfNull(server);
        _prefix = Encoding.UTF8.GetBytes(prefix ?? string.Empty);
        if (_prefix.Length > MaxPacketSize / 4)
        {
            throw new ArgumentException("Prefix is unreasonably long.", nameof(prefix));
        }

        _socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(server); // UDP connect only fixes the peer; the socket is reused for every flush
        _socket.Blocking = false;
        _flushTimer = new Timer(static s => ((StatsDClient)s!).Flush(), this, flushInterval, flushInterval);
    }

    public long DroppedLines => Interlocked.Read(ref _droppedLines);

    public void Increment(string name, long delta = 1, double sampleRate = 1.0) =>
        Record(name, delta, MetricKind.Counter, sampleRate);

    public void Gauge(string name, double value) => Record(name, value, MetricKind.Gauge, 1.0);

    public void Timing(string name, TimeSpan elapsed) =>
        Record(name, Math.Round(elapsed.TotalMilliseconds, 3), MetricKind.Timing, 1.0);

    public void Record(string name, double value, MetricKind kind, double sampleRate)
    {
        if (sampleRate < 1.0 && Random.Shared.NextDouble() >= sampleRate)
        {
            return;
        }

        Span<byte> line = stackalloc byte[MaxPacketSize];
        int length = FormatLine(line, _prefix, name, value, kind, sampleRate);
        if (length < 0)
        {
            Interlocked.Increment(ref _droppedLines); // a single line longer than a datagram cannot be sent
            return;
        }

        Append(line.Slice(0, length));
    }

    /// <summary>Formats <c>prefix.name:value|type[|@rate]</c>; returns the length, or -1 if it does not fit.</summary>
    public static int FormatLine(Span<byte> destination, ReadOnlySpan<byte> prefix, string name, double value, MetricKind kind, double sampleRate)
    {
        if ((uint)kind >= (uint)s_suffixes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(kind));
        }

        int pos = 0;
        if (!prefix.IsEmpty)
        {
            if (!TryAppend(destination, ref pos, prefix) || !TryAppend(destination, ref pos, "."u8))
            {
                return -1;
            }
        }

        if (Encoding.UTF8.GetByteCount(name) > destination.Length - pos)
        {
            return -1;
        }

        pos += Encoding.UTF8.GetBytes(name, destination.Slice(pos));

        if (!TryAppend(destination, ref pos, ":"u8)
            || !value.TryFormat(destination.Slice(pos), out int valueBytes, "R", CultureInfo.InvariantCulture))
        {
            return -1;
        }

        pos += valueBytes;
        if (!TryAppend(destination, ref pos, s_suffixes[(int)kind]))
        {
            return -1;
        }

        if (sampleRate < 1.0)
        {
            if (!TryAppend(destination, ref pos, "|@"u8)
                || !sampleRate.TryFormat(destination.Slice(pos), out int rateBytes, "0.###", CultureInfo.InvariantCulture))
            {
                return -1;
            }

            pos += rateBytes;
        }

        return pos;
    }

    private static bool TryAppend(Span<byte> destination, ref int pos, ReadOnlySpan<byte> value)
    {
        if (value.Length > destination.Length - pos)
        {
            return false;
        }

        value.CopyTo(destination.Slice(pos));
        pos += value.Length;
        return true;
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxPacketSize)
        {
            Interlocked.Increment(ref _droppedLines);
            return;
        }

        lock (_batchLock)
        {
            if (_disposed)
            {
                return;
            }

            int separator = _batchLength == 0 ? 0 : 1;
            if (_batchLength + separator + line.Length > _batch.Length)
            {
                FlushLocked();
                separator = 0;
            }

            if (separator == 1)
            {
                _batch[_batchLength++] = (byte)'\n';
            }

            line.CopyTo(_batch.AsSpan(_batchLength));
            _batchLength += line.Length;
            _batchLines++;
        }
    }

    public void Flush()
    {
        lock (_batchLock)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (_batchLength == 0 || _disposed)
        {
            return;
        }

        int sent = _socket.Send(_batch, 0, _batchLength, SocketFlags.None, out SocketError error);
        if (error != SocketError.Success || sent != _batchLength)
        {
            // WouldBlock (send buffer full), ConnectionRefused (agent restarting) and friends: StatsD is lossy by design.
            Interlocked.Add(ref _droppedLines, _batchLines);
        }

        _batchLength = 0;
        _batchLines = 0;
    }

    public void Dispose()
    {
        _flushTimer.Dispose();
        lock (_batchLock)
        {
            // A timer callback may still be queued; it takes the same lock and sees _disposed.
            FlushLocked();
            _disposed = true;
            _socket.Dispose();
        }
    }
}

/// <summary>
/// Process-wide facade for code that cannot take a client instance. The packet buffer is static,
/// so every use of it happens under <see cref="s_lock"/>.
/// </summary>
public static class StatsD
{
    private static readonly object s_lock = new();
    private static readonly byte[] s_packet = new byte[StatsDClient.MaxPacketSize];
    private static Socket? s_socket;

    public static void Configure(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        socket.Blocking = false;
        lock (s_lock)
        {
            s_socket?.Dispose();
            s_socket = socket;
        }
    }

    public static bool Increment(string name)
    {
        lock (s_lock)
        {
            if (s_socket is null)
            {
                return false;
            }

            int length = StatsDClient.FormatLine(s_packet, default, name, 1, MetricKind.Counter, 1.0);
            if (length < 0)
            {
                return false;
            }

            int sent = s_socket.Send(s_packet, 0, length, SocketFlags.None, out SocketError error);
            return error == SocketError.Success && sent == length;
        }
    }
}
