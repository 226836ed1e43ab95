using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Net.Serialization
{
    /// <summary>
    /// An <see cref="IBufferWriter{T}"/> backed by arrays from <see cref="ArrayPool{T}.Shared"/>.
    /// Dispose it to give the array back; the written memory must not be used afterwards.
    /// </summary>
    public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer;
        private int _written;

        public PooledBufferWriter(int initialCapacity = 256)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
            _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        }

        public int WrittenCount => _written;

        public int FreeCapacity => _buffer.Length - _written;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

        public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

        public void Advance(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            if (count > _buffer.Length - _written)
            {
                throw new InvalidOperationException(
                    $"Cannot advance by {count} bytes: only {_buffer.Length - _written} were handed out.");
            }

            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            EnsureCapacity(sizeHint);
            return _buffer.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            EnsureCapacity(sizeHint);
            return _buffer.AsSpan(_written);
        }

        /// <summary>Forgets the written data but keeps the array for reuse.</summary>
        public void Reset() => _written = 0;

        public byte[] ToArray() => WrittenSpan.ToArray();

        /// <summary>Writes the valid bytes (not the whole pooled array) to a stream.</summary>
        public void CopyTo(Stream destination)
        {
            ArgumentNullException.ThrowIfNull(destination);
            destination.Write(_buffer, 0, _written);
        }

        public ValueTask CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(destination);
            return destination.WriteAsync(_buffer.AsMemory(0, _written), cancellationToken);
        }

        public void Dispose()
        {
            byte[] buffer = _buffer;
            _buffer = Array.Empty<byte>();
            _written = 0;
            if (buffer.Length != 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void EnsureCapacity(int sizeHint)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
            if (sizeHint == 0)
            {
                sizeHint = 1;
            }

            if (sizeHint <= _buffer.Length - _written)
            {
                return;
            }

            long required = (long)_written + sizeHint;
            if (required > Array.MaxLength)
            {
                throw new OutOfMemoryException($"A buffer of {required} bytes exceeds the maximum array length.");
            }

            long doubled = Math.Max(256L, (long)_buffer.Length * 2);
            int newSize = (int)Math.Min(Array.MaxLength, Math.Max(required, doubled));

            byte[] larger = ArrayPool<byte>.Shared.Rent(newSize);
            _buffer.AsSpan(0, _written).CopyTo(larger);

            byte[] old = _buffer;
            _buffer = larger;
            if (old.Length != 0)
            {
                ArrayPool<byte>.Shared.Return(old);
            }
        }
    }

    /// <summary>Primitive encoders for <see cref="IBufferWriter{T}"/>. Integers are big-endian on the wire.</summary>
    public static class BufferWriterExtensions
    {
        /// <summary>Largest encoded size of a 32-bit LEB128 value.</summary>
        public const int MaxVarUInt32Length = 5;

        public static void WriteUInt16BigEndian(this IBufferWriter<byte> writer, ushort value)
        {
            Span<byte> span = writer.GetSpan(sizeof(ushort));
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
            writer.Advance(sizeof(ushort));
        }

        public static void WriteInt32BigEndian(this IBufferWriter<byte> writer, int value)
        {
            Span<byte> span = writer.GetSpan(sizeof(int));
            BinaryPrimitives.WriteInt32BigEndian(span, value);
            writer.Advance(sizeof(int));
        }

        public static void WriteInt64BigEndian(this IBufferWriter<byte> writer, long value)
        {
            Span<byte> span = writer.GetSpan(sizeof(long));
            BinaryPrimitives.WriteInt64BigEndian(span, value);
            writer.Advance(sizeof(long));
        }

        /// <summary>Unsigned LEB128: seven bits per byte, least significant group first.</summary>
        public static void WriteVarUInt32(this IBufferWriter<byte> writer, uint value)
        {
            Span<byte> span = writer.GetSpan(MaxVarUInt32Length);
            int index = 0;
            while (value >= 0x80)
            {
                span[index++] = (byte)(value | 0x80);
                value >>= 7;
            }

            span[index++] = (byte)value;
            writer.Advance(index);
        }

        /// <summary>Writes the payload prefixed with its length as a LEB128 value.</summary>
        public static void WriteLengthPrefixed(this IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
        {
            writer.WriteVarUInt32((uint)payload.Length);
            Span<byte> span = writer.GetSpan(payload.Length);
            payload.CopyTo(span);
            writer.Advance(payload.Length);
        }

        /// <summary>Writes a UTF-8 string prefixed with its byte count as a LEB128 value.</summary>
        public static void WriteUtf8String(this IBufferWriter<byte> writer, string value)
        {
            ArgumentNullException.ThrowIfNull(value);
            int byteCount = Encoding.UTF8.GetByteCount(value);
            writer.WriteVarUInt32((uint)byteCount);

            Span<byte> span = writer.GetSpan(byteCount);
            int written = Encoding.UTF8.GetBytes(value, span);
            writer.Advance(written);
        }

        /// <summary>
        /// Writes an ASCII string into a field of exactly <paramref name="width"/> bytes, padded with zero bytes.
        /// The field width is part of the record layout, so the whole field is emitted even for short values.
        /// </summary>
        public static void WriteFixedAsciiField(this IBufferWriter<byte> writer, string value, int width)
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
            if (!Ascii.IsValid(value))
            {
                throw new ArgumentException("The value must be ASCII.", nameof(value));
            }

            if (value.Length > width)
            {
                throw new ArgumentException($"The value is longer than the {width}-byte field.", nameof(value));
            }

            Span<byte> field = writer.GetSpan(width).Slice(0, width);
            field.Clear();
            int written = Encoding.ASCII.GetBytes(value, field);
            System.Diagnostics.Debug.Assert(written == value.Length);
            writer.Advance(width);
        }
    }

    /// <summary>Decoders that mirror <see cref="BufferWriterExtensions"/>, over possibly fragmented input.</summary>
    public static class SequenceReaderExtensions
    {
        private const int StackDecodeLimit = 256;

        public static bool TryReadVarUInt32(ref this SequenceReader<byte> reader, out uint value)
        {
            SequenceReader<byte> copy = reader;
            uint result = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                if (!copy.TryRead(out byte b))
                {
                    value = 0;
                    return false;
                }

                if (shift == 28 && (b & 0xF0) != 0)
                {
                    throw new InvalidDataException("A LEB128 value does not fit in 32 bits.");
                }

                result |= (uint)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    reader = copy;
                    value = result;
                    return true;
                }
            }

            throw new InvalidDataException("A LEB128 value does not fit in 32 bits.");
        }

        /// <summary>
        /// Reads a length-prefixed UTF-8 string. Returns false without consuming anything when the input
        /// does not yet hold the whole string.
        /// </summary>
        public static bool TryReadUtf8String(ref this SequenceReader<byte> reader, int maxBytes, out string? value)
        {
            SequenceReader<byte> copy = reader;
            if (!copy.TryReadVarUInt32(out uint declared))
            {
                value = null;
                return false;
            }

            if (declared > (uint)maxBytes)
            {
                throw new InvalidDataException($"A string of {declared} bytes exceeds the limit of {maxBytes}.");
            }

            int length = (int)declared;
            if (copy.Remaining < length)
            {
                value = null;
                return false;
            }

            if (copy.UnreadSpan.Length >= length)
            {
                value = Encoding.UTF8.GetString(copy.UnreadSpan.Slice(0, length));
            }
            else if (length <= StackDecodeLimit)
            {
                Span<byte> scratch = stackalloc byte[length];
                copy.TryCopyTo(scratch);
                value = Encoding.UTF8.GetString(scratch);
            }
            else
            {
                byte[] rented = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    Span<byte> scratch = rented.AsSpan(0, length);
                    copy.TryCopyTo(scratch);
                    value = Encoding.UTF8.GetString(scratch);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }

            copy.Advance(length);
            reader = copy;
            return true;
        }
    }
}
