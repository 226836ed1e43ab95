using System;
using System.Buffers.Binary;
using System.Text;

namespace Quiet.Buffers;

/// <summary>
/// A growable byte array in the spirit of <see cref="StringBuilder"/>: append, insert and remove
/// ranges, then copy the result out. Big-endian helpers make it handy for building wire messages.
/// </summary>
public sealed class ByteBuilder
{
    private byte[] _data;
    private int _length;

    public ByteBuilder() : this(64)
    {
    }

    public ByteBuilder(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _data = capacity == 0 ? Array.Empty<byte>() : new byte[capacity];
    }

    public int Length => _length;

    public int Capacity => _data.Length;

    public ByteBuilder Append(byte value)
    {
        EnsureCapacity(_length + 1);
        _data[_length++] = value;
        return this;
    }

    public ByteBuilder Append(byte[] source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Append(source, 0, source.Length);
    }

    public ByteBuilder Append(byte[] source, int offset, int count)
    {
        BufferArgs.Validate(source, offset, count);
        EnsureCapacity(checked(_length + count));
        Buffer.BlockCopy(source, offset, _data, _length, count);
        _length += count;
        return this;
    }

    public ByteBuilder Append(ReadOnlySpan<byte> source)
    {
        EnsureCapacity(checked(_length + source.Length));
        source.CopyTo(_data.AsSpan(_length));
        _length += source.Length;
        return this;
    }

    public ByteBuilder AppendUInt32BigEndian(uint value)
    {
        EnsureCapacity(checked(_length + sizeof(uint)));
        BinaryPrimitives.WriteUInt32BigEndian(_data.AsSpan(_length, sizeof(uint)), value);
        _length += sizeof(uint);
        return this;
    }

    /// <summary>Inserts <paramref name="source"/> at <paramref name="index"/>, shifting the tail right.</summary>
    public ByteBuilder Insert(int index, ReadOnlySpan<byte> source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, _length);

        EnsureCapacity(checked(_length + source.Length));
        int tailLength = _length - index;
        // Array.Copy is documented to handle overlapping source and destination ranges.
        Array.Copy(_data, index, _data, index + source.Length, tailLength);
        source.CopyTo(_data.AsSpan(index, source.Length));
        _length += source.Length;
        return this;
    }

    /// <summary>Removes <paramref name="count"/> bytes starting at <paramref name="index"/>.</summary>
    public ByteBuilder Remove(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _length - index)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "The range extends past the end of the builder.");
        }

        int tailStart = index + count;
        // Span.CopyTo behaves as if the source were copied to a temporary first, so overlap is fine.
        _data.AsSpan(tailStart, _length - tailStart).CopyTo(_data.AsSpan(index));
        _length -= count;
        _data.AsSpan(_length, count).Clear(); // do not leave removed bytes behind in the slack
        return this;
    }

    /// <summary>Copies bytes <paramref name="sourceIndex"/>.. into <paramref name="destination"/> starting at <paramref name="destinationIndex"/>.</summary>
    public void CopyTo(int sourceIndex, byte[] destination, int destinationIndex, int count)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(sourceIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(destinationIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _length - sourceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, destination.Length - destinationIndex);

        Buffer.BlockCopy(_data, sourceIndex, destination, destinationIndex, count);
    }

    public ReadOnlySpan<byte> AsSpan() => _data.AsSpan(0, _length);

    public byte[] ToArray()
    {
        if (_length == 0)
        {
            return Array.Empty<byte>();
        }

        byte[] result = new byte[_length];
        Buffer.BlockCopy(_data, 0, result, 0, _length);
        return result;
    }

    private void EnsureCapacity(int required)
    {
        if (required <= _data.Length)
        {
            return;
        }

        if (required > Array.MaxLength)
        {
            throw new OutOfMemoryException("ByteBuilder cannot exceed Array.MaxLength bytes.");
        }

        int newCapacity = _data.Length == 0 ? 16 : _data.Length;
        while (newCapacity < required)
        {
            newCapacity = newCapacity > Array.MaxLength / 2 ? Array.MaxLength : newCapacity * 2;
        }

        byte[] grown = new byte[newCapacity];
        Array.Copy(_data, grown, _length);
        _data = grown;
    }
}
