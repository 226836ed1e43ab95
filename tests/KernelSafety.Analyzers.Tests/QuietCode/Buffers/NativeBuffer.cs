using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Quiet.Buffers;

/// <summary>
/// A fixed-size block of zero-initialized, 64-byte aligned unmanaged memory with bounds-checked access.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private const int Alignment = 64;

    private byte* _pointer;
    private readonly int _length;

    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, Alignment);
        NativeMemory.Clear(_pointer, (nuint)length);
        _length = length;
    }

    ~NativeBuffer() => Free();

    public int Length => _length;

    /// <summary>Copies <paramref name="source"/> into the buffer at <paramref name="offset"/>.</summary>
    public void Write(int offset, ReadOnlySpan<byte> source)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, _length);

        int room = _length - offset;
        if (source.Length > room)
        {
            throw new ArgumentException($"Only {room} bytes fit at offset {offset}.", nameof(source));
        }

        fixed (byte* src = source)
        {
            // destinationSizeInBytes is the real space left after offset.
            Buffer.MemoryCopy(src, _pointer + offset, room, source.Length);
        }
    }

    /// <summary>Fills <paramref name="destination"/> from the buffer starting at <paramref name="offset"/>.</summary>
    public void Read(int offset, Span<byte> destination)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset > _length || destination.Length > _length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "The requested range is outside the buffer.");
        }

        fixed (byte* dst = destination)
        {
            Buffer.MemoryCopy(_pointer + offset, dst, destination.Length, destination.Length);
        }
    }

    /// <summary>Array overload in Marshal.Copy style: source[sourceIndex..+count] goes to offset.</summary>
    public void Write(int offset, byte[] source, int sourceIndex, int count)
    {
        ThrowIfDisposed();
        BufferArgs.Validate(source, sourceIndex, count);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _length - offset);

        Marshal.Copy(source, sourceIndex, (IntPtr)(_pointer + offset), count);
    }

    public byte[] ToArray()
    {
        ThrowIfDisposed();
        byte[] result = new byte[_length];
        Marshal.Copy((IntPtr)_pointer, result, 0, _length);
        return result;
    }

    /// <summary>Copies up to <paramref name="count"/> bytes into <paramref name="other"/>; returns the number copied.</summary>
    public int CopyTo(NativeBuffer other, int count)
    {
        ArgumentNullException.ThrowIfNull(other);
        ThrowIfDisposed();
        other.ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(count);

        int n = Math.Min(count, Math.Min(_length, other._length));
        if (n > 0 && !ReferenceEquals(other, this))
        {
            // Both blocks start on a 64-byte boundary, which satisfies cpblk's alignment expectation.
            Unsafe.CopyBlock(other._pointer, _pointer, (uint)n);
        }

        return n;
    }

    /// <summary>Moves a range inside the buffer; the ranges may overlap.</summary>
    public void CopyWithin(int sourceOffset, int destinationOffset, int count)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(sourceOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(destinationOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _length - sourceOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _length - destinationOffset);

        // NativeMemory.Copy has memmove semantics for overlapping ranges.
        NativeMemory.Copy(_pointer + sourceOffset, _pointer + destinationOffset, (nuint)count);
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_pointer == null, this);
}

/// <summary>Sixteen bytes stored inline, e.g. an AES block or IV.</summary>
[InlineArray(Length)]
public struct Block16
{
    public const int Length = 16;

    private byte _element0;

    public static Block16 From(ReadOnlySpan<byte> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException($"Expected exactly {Length} bytes.", nameof(source));
        }

        Block16 block = default;
        source.CopyTo(block);
        return block;
    }
}

public static class UnsafeCopy
{
    /// <summary>
    /// Copies the first <paramref name="count"/> bytes of <paramref name="source"/> to the start of
    /// <paramref name="destination"/> without per-element bounds checks, after checking both ranges once.
    /// </summary>
    public static void CopyPrefix(ReadOnlySpan<byte> source, Span<byte> destination, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, source.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, destination.Length);
        if (count == 0)
        {
            return;
        }

        if (source.Overlaps(destination))
        {
            // CopyBlock does not promise memmove semantics; Span.CopyTo does.
            source.Slice(0, count).CopyTo(destination);
            return;
        }

        Unsafe.CopyBlockUnaligned(
            ref MemoryMarshal.GetReference(destination),
            ref MemoryMarshal.GetReference(source),
            (uint)count);
    }

    /// <summary>Copies a whole 16-byte block into an array at <paramref name="offset"/>.</summary>
    public static void WriteBlock(byte[] destination, int offset, in Block16 block)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.Length - offset < Block16.Length)
        {
            throw new ArgumentException("The destination has fewer than 16 bytes at the offset.", nameof(destination));
        }

        ref byte dst = ref destination[offset];
        ref byte src = ref Unsafe.AsRef(in block[0]);
        Unsafe.CopyBlockUnaligned(ref dst, ref src, Block16.Length);
    }
}
