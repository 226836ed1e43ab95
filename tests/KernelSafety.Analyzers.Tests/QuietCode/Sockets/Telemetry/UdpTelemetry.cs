using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Telemetry;

/// <summary>
/// Fixed 64-byte telemetry datagram. Receivers reject any other size, so every record is sent whole;
/// unused bytes are always zero.
/// <code>
///  0  u16 magic 'T''L'      2  u8 version        3  u8 kind
///  4  i64 unix ms (BE)     12  u32 sequence (BE)  16  u16 reporting port (BE)
/// 18  u8 name length       19  u8 reserved       20  f64 value (BE)
/// 28  name, UTF-8, up to 36 bytes, zero padded
/// </code>
/// </summary>
public readonly record struct TelemetryRecord(byte Kind, long UnixMilliseconds, uint Sequence, int ReportingPort, double Value, string Name)
{
    public const int Size = 64;
    public const int NameOffset = 28;
    public const int MaxNameBytes = Size - NameOffset;
    private const ushort Magic = 0x544C;
    private const byte Version = 1;

    /// <summary>Writes the record into exactly <see cref="Size"/> bytes; the rest of the span is untouched.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException("Destination must hold a whole record.", nameof(destination));
        }

        if (ReportingPort < IPEndPoint.MinPort || ReportingPort > IPEndPoint.MaxPort)
        {
            throw new InvalidOperationException("Reporting port is out of range.");
        }

        Span<byte> record = destination.Slice(0, Size);
        record.Clear(); // padding and the unused part of the name slot go out as zeros

        BinaryPrimitives.WriteUInt16BigEndian(record, Magic);
        record[2] = Version;
        record[3] = Kind;
        BinaryPrimitives.WriteInt64BigEndian(record.Slice(4), UnixMilliseconds);
        BinaryPrimitives.WriteUInt32BigEndian(record.Slice(12), Sequence);
        BinaryPrimitives.WriteUInt16BigEndian(record.Slice(16), (ushort)ReportingPort);
        BinaryPrimitives.WriteDoubleBigEndian(record.Slice(20), Value);

        // Stops at the last whole character that fits, so a multi-byte sequence is never cut in half.
        Utf8.FromUtf16(Name, record.Slice(NameOffset, MaxNameBytes), out _, out int nameBytes, replaceInvalidSequences: true);
        record[18] = (byte)nameBytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> datagram, out TelemetryRecord record)
    {
        record = default;
        if (datagram.Length != Size || BinaryPrimitives.ReadUInt16BigEndian(datagram) != Magic || datagram[2] != Version)
        {
            return false;
        }

        int nameLength = datagram[18];
        if (nameLength > MaxNameBytes)
        {
            return false;
        }

        record = new TelemetryRecord(
            datagram[3],
            BinaryPrimitives.ReadInt64BigEndian(datagram.Slice(4)),
            BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(12)),
            BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(16)),
            BinaryPrimitives.ReadDoubleBigEndian(datagram.Slice(20)),
            Encoding.UTF8.GetString(datagram.Slice(NameOffset, nameLength)));
        return true;
    }
}

/// <summary>
/// Sends telemetry records over one connected UdpClient, created once for the lifetime of the sender.
/// </summary>
public sealed class UdpTelemetrySender : IDisposable
{
    // One scratch record per thread: each thread only ever touches its own array.
    [ThreadStatic]
    private static byte[]? t_record;

    private readonly UdpClient _client;
    private readonly int _reportingPort;
    private int _sequence;
    private long _dropped;

    public UdpTelemetrySender(string collectorHost, int collectorPort, int reportingPort)
    {
        _client = new UdpClient(AddressFamily.InterNetwork);
        _client.Connect(collectorHost, collectorPort);
        _reportingPort = reportingPort;
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Report(byte kind, string name, double value)
    {
        byte[] record = t_record ??= new byte[TelemetryRecord.Size];
        Create(kind, name, value).WriteTo(record);
        try
        {
            int sent = _client.Send(record, record.Length);
            if (sent != record.Length)
            {
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (SocketException)
        {
            // Telemetry is best effort: an ICMP "port unreachable" from a restarting collector is counted, not thrown.
            Interlocked.Increment(ref _dropped);
        }
    }

    public async ValueTask ReportAsync(byte kind, string name, double value, CancellationToken cancellationToken = default)
    {
        // Rent may return a larger array; only the first Size bytes form the record.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(TelemetryRecord.Size);
        try
        {
            Create(kind, name, value).WriteTo(buffer);
            int sent = await _client.SendAsync(buffer.AsMemory(0, TelemetryRecord.Size), cancellationToken).ConfigureAwait(false);
            if (sent != TelemetryRecord.Size)
            {
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref _dropped);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private TelemetryRecord Create(byte kind, string name, double value) =>
        new(kind, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), unchecked((uint)Interlocked.Increment(ref _sequence)), _reportingPort, value, name);

    public void Dispose() => _client.Dispose();
}

/// <summary>Receives telemetry datagrams and hands each valid record to a callback.</summary>
public sealed class UdpTelemetryListener : IDisposable
{
    private const int PreviewBytes = 16;

    private readonly UdpClient _client;

    public UdpTelemetryListener(int port)
    {
        _client = new UdpClient(new IPEndPoint(IPAddress.Any, port));
    }

    public async Task RunAsync(Action<IPEndPoint, TelemetryRecord> onRecord, Action<string>? log, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await _client.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (TelemetryRecord.TryRead(datagram.Buffer, out TelemetryRecord record))
            {
                // The record carries the reporter's service port (already host order after the BE read).
                var reporter = new IPEndPoint(datagram.RemoteEndPoint.Address, record.ReportingPort);
                onRecord(reporter, record);
            }
            else
            {
                log?.Invoke(DescribeRejected(datagram.Buffer, datagram.RemoteEndPoint));
            }
        }
    }

    private static string DescribeRejected(byte[] datagram, IPEndPoint from)
    {
        int shown = datagram.Length < PreviewBytes ? datagram.Length : PreviewBytes;
        Span<byte> preview = stackalloc byte[PreviewBytes];
        datagram.AsSpan(0, shown).CopyTo(preview);
        return $"Discarded {datagram.Length}-byte datagram from {from}: {Convert.ToHexString(preview.Slice(0, shown))}";
    }

    public void Dispose() => _client.Dispose();
}
