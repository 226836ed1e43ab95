using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Buffers;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> whose storage is rented from an <see cref="ArrayPool{T}"/>.
/// The rented array is usually larger than the data written; only <see cref="WrittenCount"/>
/// bytes are ever exposed.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumBufferSize = 256;

    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = MinimumBufferSize, ArrayPool<byte>? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _pool = pool ?? ArrayPool<byte>.Shared;
        _buffer = _pool.Rent(initialCapacity);
    }

    public int WrittenCount => _written;

    public int Capacity => _buffer.Length;

    public int FreeCapacity => _buffer.Length - _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException("Cannot advance past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Appends <paramref name="data"/>, growing the rented buffer first if necessary.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        EnsureFree(data.Length);
        data.CopyTo(_buffer.AsSpan(_written));
        _written += data.Length;
    }

    /// <summary>Writes only the valid prefix of the rented array to <paramref name="destination"/>.</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(_buffer, 0, _written);
    }

    /// <summary>Copies the written bytes into <paramref name="destination"/> if they fit.</summary>
    public bool TryCopyTo(Span<byte> destination) => WrittenSpan.TryCopyTo(destination);

    public byte[] ToArray()
    {
        byte[] result = new byte[_written];
        Array.Copy(_buffer, 0, result, 0, _written);
        return result;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        byte[] toReturn = _buffer;
        _buffer = Array.Empty<byte>();
        _written = 0;
        _pool.Return(toReturn);
    }

    private void EnsureFree(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sizeHint == 0)
        {
            sizeHint = 1;
        }

        int room = _buffer.Length - _written;
        if (sizeHint <= room)
        {
            return;
        }

        long required = (long)_written + sizeHint;
        if (required > Array.MaxLength)
        {
            throw new OutOfMemoryException("The buffer writer cannot grow beyond Array.MaxLength.");
        }

        long doubled = Math.Max((long)_buffer.Length * 2, MinimumBufferSize);
        int newSize = (int)Math.Min(Math.Max(required, doubled), Array.MaxLength);

        byte[] newBuffer = _pool.Rent(newSize);
        // newBuffer.Length >= newSize >= required > _written, so the copy always fits.
        _buffer.AsSpan(0, _written).CopyTo(newBuffer);
        byte[] old = _buffer;
        _buffer = newBuffer;
        _pool.Return(old);
    }
}

/// <summary>Helpers that write rented, partially filled buffers to streams.</summary>
public static class PooledTextWriter
{
    /// <summary>
    /// Encodes <paramref name="line"/> plus a line feed into a rented buffer and writes only the
    /// encoded bytes; the rest of the rented array may hold another caller's data.
    /// </summary>
    public static void WriteLine(Stream stream, string line)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(line);

        int maxBytes = Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
        byte[] rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            int byteCount = Encoding.UTF8.GetBytes(line, 0, line.Length, rented, 0);
            rented[byteCount++] = (byte)'\n';
            stream.Write(rented, 0, byteCount);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
