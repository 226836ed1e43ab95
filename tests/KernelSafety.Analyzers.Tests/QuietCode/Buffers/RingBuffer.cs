using System;

namespace Quiet.Buffers;

/// <summary>
/// A fixed-capacity FIFO of bytes backed by a single array. Writes that do not fit are
/// truncated (<see cref="Write(ReadOnlySpan{byte})"/>) or rejected
/// (<see cref="WriteAll(byte[], int, int)"/>). Not thread-safe.
/// </summary>
public sealed class ByteRingBuffer
{
    private readonly byte[] _buffer;
    private int _head;   // index of the oldest byte
    private int _count;  // number of readable bytes

    public ByteRingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _buffer = new byte[capacity];
    }

    public int Capacity => _buffer.Length;

    public int Count => _count;

    public int FreeSpace => _buffer.Length - _count;

    /// <summary>Writes as many bytes of <paramref name="source"/> as fit and returns how many were taken.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int toWrite = Math.Min(source.Length, FreeSpace);
        if (toWrite == 0)
        {
            return 0;
        }

        int tail = (_head + _count) % _buffer.Length;

        // First segment: from the tail to the physical end of the array.
        int firstPart = Math.Min(toWrite, _buffer.Length - tail);
        source.Slice(0, firstPart).CopyTo(_buffer.AsSpan(tail, firstPart));

        // Second segment wraps to the start; it is at most _head bytes because toWrite <= FreeSpace.
        int secondPart = toWrite - firstPart;
        if (secondPart > 0)
        {
            source.Slice(firstPart, secondPart).CopyTo(_buffer.AsSpan(0, secondPart));
        }

        _count += toWrite;
        return toWrite;
    }

    /// <summary>
    /// Writes exactly <paramref name="count"/> bytes or throws; never writes a partial block.
    /// </summary>
    public void WriteAll(byte[] buffer, int offset, int count)
    {
        BufferArgs.Validate(buffer, offset, count);
        if (count > FreeSpace)
        {
            throw new InvalidOperationException(
                $"The ring buffer has room for {FreeSpace} bytes; {count} were offered.");
        }

        int tail = (_head + _count) % _buffer.Length;
        int untilEnd = _buffer.Length - tail;
        if (count <= untilEnd)
        {
            Array.Copy(buffer, offset, _buffer, tail, count);
        }
        else
        {
            Array.Copy(buffer, offset, _buffer, tail, untilEnd);
            Array.Copy(buffer, offset + untilEnd, _buffer, 0, count - untilEnd);
        }

        _count += count;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes out and consumes them.</summary>
    public int Read(Span<byte> destination)
    {
        int read = Peek(destination);
        Skip(read);
        return read;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes out without consuming them.</summary>
    public int Peek(Span<byte> destination)
    {
        int toRead = Math.Min(destination.Length, _count);
        if (toRead == 0)
        {
            return 0;
        }

        int firstPart = Math.Min(toRead, _buffer.Length - _head);
        _buffer.AsSpan(_head, firstPart).CopyTo(destination);

        int secondPart = toRead - firstPart;
        if (secondPart > 0)
        {
            _buffer.AsSpan(0, secondPart).CopyTo(destination.Slice(firstPart));
        }

        return toRead;
    }

    /// <summary>Discards up to <paramref name="count"/> bytes and returns how many were discarded.</summary>
    public int Skip(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int skipped = count < _count ? count : _count;
        _head = (_head + skipped) % _buffer.Length;
        _count -= skipped;
        if (_count == 0)
        {
            _head = 0; // keeps future writes contiguous for as long as possible
        }

        return skipped;
    }

    /// <summary>Returns a copy of the readable bytes in FIFO order.</summary>
    public byte[] ToArray()
    {
        byte[] result = new byte[_count];
        int copied = Peek(result);
        System.Diagnostics.Debug.Assert(copied == result.Length);
        return result;
    }

    /// <summary>
    /// Rotates the contents so that the readable bytes start at index 0, then returns them as one span.
    /// </summary>
    public ReadOnlySpan<byte> Linearize()
    {
        if (_head + _count > _buffer.Length)
        {
            byte[] temp = ToArray();
            Buffer.BlockCopy(temp, 0, _buffer, 0, temp.Length);
            _head = 0;
        }

        return _buffer.AsSpan(_head, _count);
    }
}
