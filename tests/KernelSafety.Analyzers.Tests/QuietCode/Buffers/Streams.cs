using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Buffers;

/// <summary>
/// Write-only stream that frames data into chunks of at most <see cref="ChunkSize"/> bytes, each preceded by
/// a 4-byte big-endian length. Disposing writes the final partial chunk and a zero-length terminator.
/// </summary>
public sealed class ChunkedWriteStream : Stream
{
    public const int ChunkSize = 4096;

    private readonly Stream _inner;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private int _filled;
    private bool _completed;

    public ChunkedWriteStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!inner.CanWrite)
        {
            throw new ArgumentException("The inner stream must be writable.", nameof(inner));
        }

        _inner = inner;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        ObjectDisposedException.ThrowIf(_completed, this);

        while (count > 0)
        {
            int room = ChunkSize - _filled;
            int n = count <= room ? count : room;
            Buffer.BlockCopy(buffer, offset, _chunk, _filled, n);
            _filled += n;
            offset += n;
            count -= n;

            if (_filled == ChunkSize)
            {
                EmitChunk();
            }
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            Span<byte> free = _chunk.AsSpan(_filled);
            int n = Math.Min(free.Length, buffer.Length);
            buffer.Slice(0, n).CopyTo(free);
            _filled += n;
            buffer = buffer.Slice(n);

            if (_filled == _chunk.Length)
            {
                EmitChunk();
            }
        }
    }

    /// <summary>Emits the pending partial chunk (if any) so the receiver sees it promptly.</summary>
    public override void Flush()
    {
        if (_filled > 0)
        {
            EmitChunk();
        }

        _inner.Flush();
    }

    private void EmitChunk()
    {
        Span<byte> header = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(header, _filled);
        _inner.Write(header);
        // Only the filled prefix is payload; the tail of _chunk may still hold bytes of an earlier chunk.
        _inner.Write(_chunk, 0, _filled);
        _filled = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            if (_filled > 0)
            {
                EmitChunk();
            }

            Span<byte> terminator = stackalloc byte[sizeof(int)];
            terminator.Clear();
            _inner.Write(terminator);
            _inner.Flush();
            _completed = true;
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Writes data in fixed 512-byte blocks, as archive formats such as tar require. The final block is
/// zero padded on purpose; the padding is cleared before the block is written.
/// </summary>
public sealed class BlockPaddedWriter
{
    public const int BlockSize = 512;

    private readonly Stream _output;
    private readonly byte[] _block = new byte[BlockSize];
    private int _used;

    public BlockPaddedWriter(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public long BlocksWritten { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int room = BlockSize - _used;
            int take = data.Length < room ? data.Length : room;
            data.Slice(0, take).CopyTo(_block.AsSpan(_used, take));
            _used += take;
            data = data.Slice(take);

            if (_used == BlockSize)
            {
                _output.Write(_block, 0, BlockSize);
                BlocksWritten++;
                _used = 0;
            }
        }
    }

    /// <summary>Pads the current block with zeros and writes it.</summary>
    public void PadToBlockBoundary()
    {
        if (_used == 0)
        {
            return;
        }

        Array.Clear(_block, _used, BlockSize - _used);
        _output.Write(_block, 0, _block.Length);
        BlocksWritten++;
        _used = 0;
    }
}

public static class StreamCopy
{
    /// <summary>
    /// Copies at most <paramref name="maxBytes"/> bytes from <paramref name="source"/> to
    /// <paramref name="destination"/> and returns how many were copied.
    /// </summary>
    public static long CopyBounded(Stream source, Stream destination, long maxBytes, int bufferSize = 81920)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            long total = 0;
            while (total < maxBytes)
            {
                int want = (int)Math.Min(buffer.Length, maxBytes - total);
                int read = source.Read(buffer, 0, want);
                if (read == 0)
                {
                    break;
                }

                destination.Write(buffer, 0, read);
                total += read;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/>[offset..offset+count] as far as the stream allows and returns the
    /// number of bytes read, which is less than <paramref name="count"/> only at end of stream.
    /// </summary>
    public static int ReadUpTo(Stream source, byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        BufferArgs.Validate(buffer, offset, count);

        int total = 0;
        while (total < count)
        {
            int n = source.Read(buffer, offset + total, count - total);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}

/// <summary>
/// Argument validation shared by the array-based APIs in this assembly. Mirrors the checks
/// that <see cref="System.IO.Stream"/> implementations perform on (buffer, offset, count).
/// </summary>
internal static class BufferArgs
{
    /// <summary>
    /// Throws unless <paramref name="offset"/> and <paramref name="count"/> describe a range
    /// that lies entirely within <paramref name="buffer"/>.
    /// </summary>
    public static void Validate(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // Written as a subtraction so that offset + count cannot overflow.
        if (count > buffer.Length - offset)
        {
            throw new ArgumentException(
                "Offset and count describe a range outside the buffer.", nameof(count));
        }
    }
}
