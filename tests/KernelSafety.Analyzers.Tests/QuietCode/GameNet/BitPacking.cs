using System;
using System.Buffers.Binary;
using System.Numerics;

namespace GameNet.Serialization
{
    /// <summary>Small helpers shared by the bit-level writer and reader.</summary>
    public static class BitMath
    {
        /// <summary>Number of bits needed to store any value in [0, range].</summary>
        public static int BitsRequired(uint range) => range == 0 ? 0 : BitOperations.Log2(range) + 1;

        public static uint ZigZagEncode(int value) => unchecked((uint)((value << 1) ^ (value >> 31)));

        public static int ZigZagDecode(uint value) => unchecked((int)(value >> 1) ^ -(int)(value & 1));
    }

    /// <summary>
    /// Packs values LSB-first into a caller-owned span. All writes are bounds checked against the span;
    /// the writer never grows or reallocates. Call <see cref="Finish"/> to flush the partial last byte.
    /// </summary>
    public ref struct BitWriter
    {
        private readonly Span<byte> _buffer;
        private ulong _scratch;
        private int _scratchBits;
        private int _bytesFlushed;

        public BitWriter(Span<byte> buffer)
        {
            _buffer = buffer;
            _scratch = 0;
            _scratchBits = 0;
            _bytesFlushed = 0;
        }

        public readonly long BitsWritten => ((long)_bytesFlushed << 3) + _scratchBits;

        public readonly long BitsAvailable => ((long)_buffer.Length << 3) - BitsWritten;

        /// <summary>Bytes that hold written data (a partially filled last byte counts once flushed).</summary>
        public readonly int BytesWritten => _bytesFlushed;

        public readonly ReadOnlySpan<byte> WrittenSpan => _buffer.Slice(0, _bytesFlushed);

        public void WriteBits(uint value, int bitCount)
        {
            if ((uint)bitCount > 32)
            {
                throw new ArgumentOutOfRangeException(nameof(bitCount), bitCount, "Between 0 and 32 bits per call.");
            }

            if (bitCount == 0)
            {
                return;
            }

            if (bitCount > BitsAvailable)
            {
                throw new InvalidOperationException("Bit writer overflow: the destination span is full.");
            }

            ulong masked = bitCount == 32 ? value : value & ((1u << bitCount) - 1);
            _scratch |= masked << _scratchBits;
            _scratchBits += bitCount;

            while (_scratchBits >= 8)
            {
                _buffer[_bytesFlushed++] = (byte)(_scratch & 0xFF);
                _scratch >>= 8;
                _scratchBits -= 8;
            }
        }

        public void WriteBool(bool value) => WriteBits(value ? 1u : 0u, 1);

        public void WriteByte(byte value) => WriteBits(value, 8);

        public void WriteUInt16(ushort value) => WriteBits(value, 16);

        public void WriteUInt32(uint value) => WriteBits(value, 32);

        /// <summary>Writes a value known to lie in [min, max] using only as many bits as the range needs.</summary>
        public void WriteRanged(int value, int min, int max)
        {
            if (min > max)
            {
                throw new ArgumentException("min must not exceed max.");
            }

            if (value < min || value > max)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Expected a value in [{min}, {max}].");
            }

            uint range = (uint)((long)max - min);
            WriteBits((uint)((long)value - min), BitMath.BitsRequired(range));
        }

        public void WriteSigned(int value, int bitCount) => WriteBits(BitMath.ZigZagEncode(value), bitCount);

        /// <summary>Quantizes a float to a fixed resolution inside [min, max] (clamping outliers).</summary>
        public void WriteQuantized(float value, float min, float max, float resolution)
        {
            uint steps = QuantizeSteps(min, max, resolution);
            float clamped = Math.Clamp(value, min, max);
            uint q = (uint)MathF.Round((clamped - min) / resolution);
            if (q > steps)
            {
                q = steps;
            }

            WriteBits(q, BitMath.BitsRequired(steps));
        }

        internal static uint QuantizeSteps(float min, float max, float resolution)
        {
            if (!(resolution > 0f) || !(max > min))
            {
                throw new ArgumentException("Resolution must be positive and max greater than min.");
            }

            double steps = Math.Ceiling((max - min) / (double)resolution);
            if (steps > uint.MaxValue)
            {
                throw new ArgumentException("Range/resolution needs more than 32 bits.");
            }

            return (uint)steps;
        }

        /// <summary>Pads with zero bits up to the next byte boundary.</summary>
        public void AlignToByte()
        {
            int pad = (8 - _scratchBits) & 7;
            WriteBits(0, pad);
        }

        /// <summary>Byte-aligns, then copies raw bytes. Fails before writing if they do not fit.</summary>
        public void WriteBytes(scoped ReadOnlySpan<byte> data)
        {
            AlignToByte();
            if (data.Length > _buffer.Length - _bytesFlushed)
            {
                throw new InvalidOperationException("Bit writer overflow: raw bytes do not fit.");
            }

            data.CopyTo(_buffer.Slice(_bytesFlushed, data.Length));
            _bytesFlushed += data.Length;
        }

        /// <summary>Writes a length (sized for maxLength) followed by the bytes.</summary>
        public void WriteLengthPrefixed(scoped ReadOnlySpan<byte> data, int maxLength)
        {
            if (maxLength < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxLength));
            }

            if (data.Length > maxLength)
            {
                throw new ArgumentException($"Payload of {data.Length} bytes exceeds the declared maximum of {maxLength}.", nameof(data));
            }

            WriteBits((uint)data.Length, BitMath.BitsRequired((uint)maxLength));
            WriteBytes(data);
        }

        /// <summary>Flushes the partial byte and returns the number of bytes used.</summary>
        public int Finish()
        {
            AlignToByte();
            return _bytesFlushed;
        }
    }

    /// <summary>Reads what <see cref="BitWriter"/> wrote. Every read reports failure instead of running past the end.</summary>
    public ref struct BitReader
    {
        private readonly ReadOnlySpan<byte> _buffer;
        private long _bitPosition;

        public BitReader(ReadOnlySpan<byte> buffer)
        {
            _buffer = buffer;
            _bitPosition = 0;
        }

        public readonly long BitsRemaining => ((long)_buffer.Length << 3) - _bitPosition;

        public readonly long BitPosition => _bitPosition;

        public bool TryReadBits(int bitCount, out uint value)
        {
            if ((uint)bitCount > 32)
            {
                throw new ArgumentOutOfRangeException(nameof(bitCount), bitCount, "Between 0 and 32 bits per call.");
            }

            value = 0;
            if (bitCount > BitsRemaining)
            {
                return false;
            }

            ulong accumulator = 0;
            int gathered = 0;
            long position = _bitPosition;
            while (gathered < bitCount)
            {
                int byteIndex = (int)(position >> 3);
                int bitOffset = (int)(position & 7);
                int take = Math.Min(8 - bitOffset, bitCount - gathered);
                uint chunk = ((uint)_buffer[byteIndex] >> bitOffset) & ((1u << take) - 1);
                accumulator |= (ulong)chunk << gathered;
                gathered += take;
                position += take;
            }

            _bitPosition = position;
            value = (uint)accumulator;
            return true;
        }

        public bool TryReadBool(out bool value)
        {
            bool ok = TryReadBits(1, out uint raw);
            value = raw != 0;
            return ok;
        }

        public bool TryReadByte(out byte value)
        {
            bool ok = TryReadBits(8, out uint raw);
            value = (byte)raw;
            return ok;
        }

        public bool TryReadUInt16(out ushort value)
        {
            bool ok = TryReadBits(16, out uint raw);
            value = (ushort)raw;
            return ok;
        }

        public bool TryReadUInt32(out uint value) => TryReadBits(32, out value);

        public bool TryReadRanged(int min, int max, out int value)
        {
            if (min > max)
            {
                throw new ArgumentException("min must not exceed max.");
            }

            value = 0;
            uint range = (uint)((long)max - min);
            if (!TryReadBits(BitMath.BitsRequired(range), out uint offset) || offset > range)
            {
                return false;
            }

            value = (int)(min + (long)offset);
            return true;
        }

        public bool TryReadSigned(int bitCount, out int value)
        {
            bool ok = TryReadBits(bitCount, out uint raw);
            value = BitMath.ZigZagDecode(raw);
            return ok;
        }

        public bool TryReadQuantized(float min, float max, float resolution, out float value)
        {
            uint steps = BitWriter.QuantizeSteps(min, max, resolution);
            value = 0f;
            if (!TryReadBits(BitMath.BitsRequired(steps), out uint q) || q > steps)
            {
                return false;
            }

            value = Math.Min(min + q * resolution, max);
            return true;
        }

        public bool TryAlignToByte()
        {
            int pad = (int)((8 - (_bitPosition & 7)) & 7);
            return TryReadBits(pad, out _);
        }

        /// <summary>Byte-aligns and fills the whole destination, or fails without consuming anything.</summary>
        public bool TryReadBytes(scoped Span<byte> destination)
        {
            long saved = _bitPosition;
            if (!TryAlignToByte())
            {
                return false;
            }

            int start = (int)(_bitPosition >> 3);
            if (destination.Length > _buffer.Length - start)
            {
                _bitPosition = saved;
                return false;
            }

            _buffer.Slice(start, destination.Length).CopyTo(destination);
            _bitPosition += (long)destination.Length << 3;
            return true;
        }

        /// <summary>Reads a length written by WriteLengthPrefixed and copies that many bytes into destination.</summary>
        public bool TryReadLengthPrefixed(scoped Span<byte> destination, int maxLength, out int length)
        {
            length = 0;
            if (!TryReadBits(BitMath.BitsRequired((uint)maxLength), out uint declared))
            {
                return false;
            }

            if (declared > (uint)maxLength || declared > (uint)destination.Length)
            {
                return false;
            }

            if (!TryReadBytes(destination.Slice(0, (int)declared)))
            {
                return false;
            }

            length = (int)declared;
            return true;
        }
    }

    /// <summary>Byte-aligned writer for headers; multi-byte fields are big-endian (network order).</summary>
    public ref struct SpanWriter
    {
        private readonly Span<byte> _span;
        private int _position;

        public SpanWriter(Span<byte> span)
        {
            _span = span;
            _position = 0;
        }

        public readonly int Position => _position;

        public readonly int Remaining => _span.Length - _position;

        public readonly Span<byte> Written => _span.Slice(0, _position);

        private Span<byte> Take(int count)
        {
            if ((uint)count > (uint)(_span.Length - _position))
            {
                throw new InvalidOperationException($"Span writer overflow: need {count} bytes, {_span.Length - _position} left.");
            }

            Span<byte> slice = _span.Slice(_position, count);
            _position += count;
            return slice;
        }

        public void WriteByte(byte value) => Take(1)[0] = value;

        public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

        public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), value);

        public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);

        public void WriteBytes(scoped ReadOnlySpan<byte> data) => data.CopyTo(Take(data.Length));
    }

    /// <summary>Byte-aligned reader matching <see cref="SpanWriter"/>.</summary>
    public ref struct SpanReader
    {
        private readonly ReadOnlySpan<byte> _span;
        private int _position;

        public SpanReader(ReadOnlySpan<byte> span)
        {
            _span = span;
            _position = 0;
        }

        public readonly int Position => _position;

        public readonly int Remaining => _span.Length - _position;

        public readonly ReadOnlySpan<byte> Rest => _span.Slice(_position);

        private bool TryTake(int count, out ReadOnlySpan<byte> slice)
        {
            if ((uint)count > (uint)(_span.Length - _position))
            {
                slice = default;
                return false;
            }

            slice = _span.Slice(_position, count);
            _position += count;
            return true;
        }

        public bool TryReadByte(out byte value)
        {
            bool ok = TryTake(1, out ReadOnlySpan<byte> s);
            value = ok ? s[0] : (byte)0;
            return ok;
        }

        public bool TryReadUInt16(out ushort value)
        {
            bool ok = TryTake(2, out ReadOnlySpan<byte> s);
            value = ok ? BinaryPrimitives.ReadUInt16BigEndian(s) : (ushort)0;
            return ok;
        }

        public bool TryReadUInt32(out uint value)
        {
            bool ok = TryTake(4, out ReadOnlySpan<byte> s);
            value = ok ? BinaryPrimitives.ReadUInt32BigEndian(s) : 0u;
            return ok;
        }

        public bool TryReadUInt64(out ulong value)
        {
            bool ok = TryTake(8, out ReadOnlySpan<byte> s);
            value = ok ? BinaryPrimitives.ReadUInt64BigEndian(s) : 0ul;
            return ok;
        }

        public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes) => TryTake(count, out bytes);
    }
}
