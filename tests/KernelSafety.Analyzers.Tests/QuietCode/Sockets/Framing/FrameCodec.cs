using System;
using System.Buffers;
using System.Buffers.Binary;

namespace Quiet.Sockets.Framing;

/// <summary>Frame kinds carried in byte 4 of every frame header.</summary>
public enum FrameType : byte
{
    Data = 1,
    Ping = 2,
    Pong = 3,
    Close = 4,
}

/// <summary>
/// Wire format: <c>[u32 big-endian payload length][u8 frame type][payload bytes]</c>.
/// </summary>
public static class FrameCodec
{
    public const int HeaderSize = 5;
    public const int MaxPayloadSize = 1 << 20;

    // Indexed by the frame type byte; 1 means "known". Only ever read.
    private static readonly byte[] s_knownTypes = { 0, 1, 1, 1, 1 };

    // Canned zero-length frames, sent as-is. Only ever read after initialization.
    private static readonly byte[] s_pingFrame = BuildEmptyFrame(FrameType.Ping);
    private static readonly byte[] s_pongFrame = BuildEmptyFrame(FrameType.Pong);

    public static ReadOnlyMemory<byte> PingFrame => s_pingFrame;
    public static ReadOnlyMemory<byte> PongFrame => s_pongFrame;

    public static bool IsKnownType(byte value) => value < s_knownTypes.Length && s_knownTypes[value] != 0;

    public static void WriteHeader(Span<byte> destination, FrameType type, int payloadLength)
    {
        if (destination.Length < HeaderSize)
        {
            throw new ArgumentException("Destination is smaller than a frame header.", nameof(destination));
        }

        if ((uint)payloadLength > MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength));
        }

        BinaryPrimitives.WriteInt32BigEndian(destination, payloadLength);
        destination[4] = (byte)type;
    }

    /// <summary>Parses a header. Returns false when the header is malformed.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> source, out FrameType type, out int payloadLength)
    {
        type = default;
        payloadLength = 0;
        if (source.Length < HeaderSize)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(source);
        if (length < 0 || length > MaxPayloadSize || !IsKnownType(source[4]))
        {
            return false;
        }

        type = (FrameType)source[4];
        payloadLength = length;
        return true;
    }

    /// <summary>Builds a frame into a new array sized exactly for it.</summary>
    public static byte[] Encode(FrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "Payload exceeds the maximum frame size.");
        }

        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// Encodes <paramref name="count"/> bytes of <paramref name="payload"/> into <paramref name="destination"/>.
    /// Returns the number of bytes written, or -1 if the frame does not fit.
    /// </summary>
    public static int EncodeInto(byte[] destination, FrameType type, byte[] payload, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(payload);
        if ((uint)offset > (uint)payload.Length || (uint)count > (uint)(payload.Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        if (count > MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "Payload exceeds the maximum frame size.");
        }

        int total = HeaderSize + count;
        if (total > destination.Length)
        {
            return -1;
        }

        WriteHeader(destination, type, count);
        Buffer.BlockCopy(payload, offset, destination, HeaderSize, count);
        return total;
    }

    /// <summary>Rents a buffer and encodes the frame into it; the caller returns the buffer to the pool.</summary>
    public static byte[] EncodeRented(FrameType type, ReadOnlySpan<byte> payload, out int frameLength)
    {
        if (payload.Length > MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload));
        }

        frameLength = HeaderSize + payload.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(frameLength);
        WriteHeader(rented, type, payload.Length);
        payload.CopyTo(rented.AsSpan(HeaderSize, payload.Length));
        return rented;
    }

    /// <summary>Short hex dump of a frame's first bytes for diagnostics.</summary>
    public static string Describe(ReadOnlySpan<byte> frame)
    {
        const int DumpBytes = 24;
        Span<byte> head = stackalloc byte[DumpBytes];
        int shown = Math.Clamp(frame.Length, 0, DumpBytes);
        frame.Slice(0, shown).CopyTo(head);
        string kind = TryReadHeader(frame, out FrameType type, out int length) ? $"{type}/{length}" : "invalid";
        return $"{kind} [{Convert.ToHexString(head.Slice(0, shown))}{(frame.Length > shown ? "..." : "")}]";
    }

    private static byte[] BuildEmptyFrame(FrameType type)
    {
        var frame = new byte[HeaderSize];
        WriteHeader(frame, type, 0);
        return frame;
    }
}

/// <summary>
/// Accumulates bytes from a stream socket and yields complete frames.
/// Not thread-safe: one accumulator per connection, used by that connection's receive loop.
/// </summary>
public sealed class FrameAccumulator
{
    private const int MaxBufferedBytes = 4 * (FrameCodec.HeaderSize + FrameCodec.MaxPayloadSize);

    private byte[] _buffer;
    private int _start;
    private int _count;

    public FrameAccumulator(int initialCapacity = 4096)
    {
        if (initialCapacity < FrameCodec.HeaderSize)
        {
            throw new ArgumentOutOfRangeException(nameof(initialCapacity));
        }

        _buffer = new byte[initialCapacity];
    }

    public int BufferedBytes => _count;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        EnsureTail(data.Length);
        data.CopyTo(_buffer.AsSpan(_start + _count));
        _count += data.Length;
    }

    public void Append(byte[] data, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (offset > data.Length - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "offset + count exceeds the source array.");
        }

        EnsureTail(count);
        Array.ConstrainedCopy(data, offset, _buffer, _start + _count, count);
        _count += count;
    }

    /// <summary>Removes one complete frame; the payload is copied into a new array of its exact length.</summary>
    public bool TryTakeFrame(out FrameType type, out byte[] payload)
    {
        payload = Array.Empty<byte>();
        ReadOnlySpan<byte> pending = _buffer.AsSpan(_start, _count);
        if (pending.Length < FrameCodec.HeaderSize)
        {
            type = default;
            return false;
        }

        if (!FrameCodec.TryReadHeader(pending, out type, out int length))
        {
            throw new InvalidOperationException("Malformed frame header received.");
        }

        if (pending.Length - FrameCodec.HeaderSize < length)
        {
            return false;
        }

        payload = pending.Slice(FrameCodec.HeaderSize, length).ToArray();
        _start += FrameCodec.HeaderSize + length;
        _count -= FrameCodec.HeaderSize + length;
        if (_count == 0)
        {
            _start = 0;
        }

        return true;
    }

    /// <summary>
    /// Removes one complete frame, copying its payload into <paramref name="destination"/>.
    /// Throws if the payload is larger than the destination; the frame stays buffered in that case.
    /// </summary>
    public bool TryTakeFrame(Span<byte> destination, out FrameType type, out int payloadLength)
    {
        payloadLength = 0;
        ReadOnlySpan<byte> pending = _buffer.AsSpan(_start, _count);
        if (!FrameCodec.TryReadHeader(pending, out type, out int length))
        {
            if (pending.Length >= FrameCodec.HeaderSize)
            {
                throw new InvalidOperationException("Malformed frame header received.");
            }

            return false;
        }

        if (pending.Length - FrameCodec.HeaderSize < length)
        {
            return false;
        }

        if (length <= destination.Length)
        {
            pending.Slice(FrameCodec.HeaderSize, length).CopyTo(destination);
            payloadLength = length;
            _start += FrameCodec.HeaderSize + length;
            _count -= FrameCodec.HeaderSize + length;
            if (_count == 0)
            {
                _start = 0;
            }

            return true;
        }

        throw new ArgumentException($"Frame payload of {length} bytes does not fit in {destination.Length}.", nameof(destination));
    }

    private void EnsureTail(int needed)
    {
        if (_buffer.Length - (_start + _count) >= needed)
        {
            return;
        }

        // Compact first; grow only if compaction is not enough.
        if (_buffer.Length - _count >= needed)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count);
            _start = 0;
            return;
        }

        long required = (long)_count + needed;
        if (required > MaxBufferedBytes)
        {
            throw new InvalidOperationException("Peer is sending faster than frames are consumed.");
        }

        int newSize = (int)Math.Min(Math.Max(required, (long)_buffer.Length * 2), MaxBufferedBytes);
        var grown = new byte[newSize];
        Array.Copy(_buffer, _start, grown, 0, _count);
        _buffer = grown;
        _start = 0;
    }
}
