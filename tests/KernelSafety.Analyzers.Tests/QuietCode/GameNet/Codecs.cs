using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GameNet.Compression
{
    /// <summary>
    /// Compressor/decompressor for an LZ4-block style format: sequences of
    /// [token][literal length ext][literals][offset u16 LE][match length ext].
    /// The decoder treats every input as untrusted and returns -1 instead of reading or writing out of range.
    /// </summary>
    public static class LzBlock
    {
        private const int MinMatch = 4;
        private const int LastLiterals = 5;
        private const int MatchFindLimit = 12;
        private const int MaxOffset = ushort.MaxValue;
        private const int HashLog = 12;
        private const int HashSize = 1 << HashLog;
        private const int MaxInputLength = 0x7E000000;

        public static int MaxCompressedLength(int inputLength)
        {
            if ((uint)inputLength > MaxInputLength)
            {
                throw new ArgumentOutOfRangeException(nameof(inputLength));
            }

            return inputLength + inputLength / 255 + 16;
        }

        private static int Hash(uint sequence) => (int)(unchecked(sequence * 2654435761u) >> (32 - HashLog));

        private static int ExtensionLength(int length) => length < 15 ? 0 : (length - 15) / 255 + 1;

        /// <summary>Compresses source into destination and returns the compressed length.</summary>
        public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            if (destination.Length < MaxCompressedLength(source.Length))
            {
                throw new ArgumentException("Destination is smaller than MaxCompressedLength(source.Length).", nameof(destination));
            }

            int op = 0;
            int anchor = 0;

            if (source.Length > MatchFindLimit)
            {
                Span<int> table = stackalloc int[HashSize];
                table.Fill(-1);

                int searchEnd = source.Length - MatchFindLimit; // a match may only start before this index
                int matchEnd = source.Length - LastLiterals;    // and may not extend past this index
                int ip = 0;
                while (ip < searchEnd)
                {
                    uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(ip, 4));
                    int h = Hash(sequence);
                    int candidate = table[h];
                    table[h] = ip;

                    if (candidate < 0
                        || ip - candidate > MaxOffset
                        || BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(candidate, 4)) != sequence)
                    {
                        ip++;
                        continue;
                    }

                    int length = MinMatch;
                    while (ip + length < matchEnd && source[candidate + length] == source[ip + length])
                    {
                        length++;
                    }

                    op = EmitSequence(source.Slice(anchor, ip - anchor), ip - candidate, length, destination, op);
                    ip += length;
                    anchor = ip;
                }
            }

            return EmitLastLiterals(source.Slice(anchor), destination, op);
        }

        private static int EmitSequence(ReadOnlySpan<byte> literals, int offset, int matchLength, Span<byte> destination, int op)
        {
            int literalLength = literals.Length;
            int matchCode = matchLength - MinMatch;
            int needed = 1 + ExtensionLength(literalLength) + literalLength + 2 + ExtensionLength(matchCode);
            if (needed > destination.Length - op)
            {
                throw new InvalidOperationException("Compressed output exceeded its bound.");
            }

            destination[op++] = (byte)((Math.Min(literalLength, 15) << 4) | Math.Min(matchCode, 15));
            op = WriteLengthExtension(literalLength, destination, op);
            literals.CopyTo(destination.Slice(op, literalLength));
            op += literalLength;
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(op, 2), (ushort)offset);
            op += 2;
            return WriteLengthExtension(matchCode, destination, op);
        }

        private static int EmitLastLiterals(ReadOnlySpan<byte> literals, Span<byte> destination, int op)
        {
            int literalLength = literals.Length;
            int needed = 1 + ExtensionLength(literalLength) + literalLength;
            if (needed > destination.Length - op)
            {
                throw new InvalidOperationException("Compressed output exceeded its bound.");
            }

            destination[op++] = (byte)(Math.Min(literalLength, 15) << 4);
            op = WriteLengthExtension(literalLength, destination, op);
            literals.CopyTo(destination.Slice(op, literalLength));
            return op + literalLength;
        }

        private static int WriteLengthExtension(int length, Span<byte> destination, int op)
        {
            if (length < 15)
            {
                return op;
            }

            int rest = length - 15;
            while (rest >= 255)
            {
                destination[op++] = 255;
                rest -= 255;
            }

            destination[op++] = (byte)rest;
            return op;
        }

        /// <summary>
        /// Decompresses source into destination. Returns the number of bytes produced, or -1 when the input is
        /// malformed or would not fit.
        /// </summary>
        public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            int ip = 0;
            int op = 0;
            while (ip < source.Length)
            {
                int token = source[ip++];

                int literalLength = token >> 4;
                if (literalLength == 15 && !TryReadLengthExtension(source, ref ip, destination.Length, ref literalLength))
                {
                    return -1;
                }

                if (literalLength > source.Length - ip || literalLength > destination.Length - op)
                {
                    return -1;
                }

                source.Slice(ip, literalLength).CopyTo(destination.Slice(op, literalLength));
                ip += literalLength;
                op += literalLength;

                if (ip == source.Length)
                {
                    return op; // the final sequence carries literals only
                }

                if (source.Length - ip < 2)
                {
                    return -1;
                }

                int offset = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(ip, 2));
                ip += 2;
                if (offset == 0 || offset > op)
                {
                    return -1;
                }

                int matchLength = token & 15;
                if (matchLength == 15 && !TryReadLengthExtension(source, ref ip, destination.Length, ref matchLength))
                {
                    return -1;
                }

                matchLength += MinMatch;
                if (matchLength > destination.Length - op)
                {
                    return -1;
                }

                CopyMatch(destination, op, offset, matchLength);
                op += matchLength;
            }

            return op;
        }

        private static bool TryReadLengthExtension(ReadOnlySpan<byte> source, ref int ip, int limit, ref int length)
        {
            while (true)
            {
                if (ip >= source.Length)
                {
                    return false;
                }

                int b = source[ip++];
                length += b;
                if (length > limit)
                {
                    return false; // could never fit; also keeps the sum far from overflow
                }

                if (b != 255)
                {
                    return true;
                }
            }
        }

        /// <summary>
        /// Copies a back-reference of <paramref name="length"/> bytes that starts <paramref name="offset"/> bytes
        /// behind <paramref name="op"/>. Caller guarantees 1 &lt;= offset &lt;= op and op + length &lt;= buffer.Length.
        /// When the ranges overlap the copy must follow forward byte-by-byte semantics (it replicates the pattern),
        /// which a memmove-style CopyTo would not do.
        /// </summary>
        private static void CopyMatch(Span<byte> buffer, int op, int offset, int length)
        {
            int from = op - offset;
            if (offset >= length)
            {
                buffer.Slice(from, length).CopyTo(buffer.Slice(op, length));
                return;
            }

            ref byte start = ref MemoryMarshal.GetReference(buffer);
            int i = 0;
            if (offset >= 8)
            {
                // Each 8-byte chunk reads bytes that are already final, since source and target are >= 8 apart.
                for (; i + 8 <= length; i += 8)
                {
                    Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref start, op + i), ref Unsafe.Add(ref start, from + i), 8);
                }
            }

            for (; i < length; i++)
            {
                Unsafe.Add(ref start, op + i) = Unsafe.Add(ref start, from + i);
            }
        }
    }

    /// <summary>Length-tagged frame: [u32 BE original length][method][body]. Stores raw when compression does not help.</summary>
    public static class CompressedFrame
    {
        public const int HeaderSize = 5;
        public const byte MethodStored = 0;
        public const byte MethodLz = 1;
        public const byte MethodRle = 2;

        public static int MaxFrameLength(int payloadLength) => HeaderSize + LzBlock.MaxCompressedLength(payloadLength);

        public static int Encode(ReadOnlySpan<byte> payload, Span<byte> destination)
        {
            if (destination.Length < MaxFrameLength(payload.Length))
            {
                throw new ArgumentException("Destination is smaller than MaxFrameLength(payload.Length).", nameof(destination));
            }

            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payload.Length);
            Span<byte> body = destination.Slice(HeaderSize);
            int compressed = LzBlock.Compress(payload, body);
            if (compressed < payload.Length)
            {
                destination[4] = MethodLz;
                return HeaderSize + compressed;
            }

            destination[4] = MethodStored;
            payload.CopyTo(body);
            return HeaderSize + payload.Length;
        }

        /// <summary>Encodes into an ArrayPool array. The caller must return <paramref name="rented"/> to ArrayPool.Shared.</summary>
        public static int EncodeToRented(ReadOnlySpan<byte> payload, out byte[] rented)
        {
            rented = ArrayPool<byte>.Shared.Rent(MaxFrameLength(payload.Length));
            return Encode(payload, rented);
        }

        /// <summary>Reads the declared original length without decoding, or -1 if the header is incomplete.</summary>
        public static long PeekOriginalLength(ReadOnlySpan<byte> frame) =>
            frame.Length < HeaderSize ? -1 : BinaryPrimitives.ReadUInt32BigEndian(frame);

        /// <summary>Decodes into destination; returns the original length or -1 on any inconsistency.</summary>
        public static int Decode(ReadOnlySpan<byte> frame, Span<byte> destination)
        {
            if (frame.Length < HeaderSize)
            {
                return -1;
            }

            uint declared = BinaryPrimitives.ReadUInt32BigEndian(frame);
            if (declared > (uint)destination.Length)
            {
                return -1;
            }

            int length = (int)declared;
            ReadOnlySpan<byte> body = frame.Slice(HeaderSize);
            Span<byte> target = destination.Slice(0, length);
            switch (frame[4])
            {
                case MethodStored:
                    if (body.Length != length)
                    {
                        return -1;
                    }

                    body.CopyTo(target);
                    return length;
                case MethodLz:
                    return LzBlock.Decompress(body, target) == length ? length : -1;
                case MethodRle:
                    return Rle.Decode(body, target) == length ? length : -1;
                default:
                    return -1;
            }
        }
    }

    /// <summary>
    /// PackBits-style run-length coding. Control byte c: 0..127 means c+1 literal bytes follow,
    /// 129..255 means the next byte repeats 257-c times (2..128), 128 is a no-op.
    /// Good for voxel columns and tile masks with long uniform runs.
    /// </summary>
    public static class Rle
    {
        private const int MaxChunk = 128;

        public static int MaxEncodedLength(int inputLength)
        {
            if (inputLength < 0 || inputLength > int.MaxValue - (int.MaxValue / MaxChunk) - 1)
            {
                throw new ArgumentOutOfRangeException(nameof(inputLength));
            }

            return inputLength + (inputLength + MaxChunk - 1) / MaxChunk;
        }

        public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            int ip = 0;
            int op = 0;
            while (ip < source.Length)
            {
                byte value = source[ip];
                int run = 1;
                while (ip + run < source.Length && run < MaxChunk && source[ip + run] == value)
                {
                    run++;
                }

                if (run >= 2)
                {
                    if (destination.Length - op < 2)
                    {
                        throw new ArgumentException("Destination too small; size it with MaxEncodedLength.", nameof(destination));
                    }

                    destination[op++] = (byte)(257 - run);
                    destination[op++] = value;
                    ip += run;
                    continue;
                }

                // Literal block: stop before a run of three (worth encoding as a run) or at the chunk limit.
                int start = ip;
                int count = 0;
                while (ip < source.Length && count < MaxChunk)
                {
                    if (ip + 2 < source.Length && source[ip] == source[ip + 1] && source[ip] == source[ip + 2])
                    {
                        break;
                    }

                    ip++;
                    count++;
                }

                if (count + 1 > destination.Length - op)
                {
                    throw new ArgumentException("Destination too small; size it with MaxEncodedLength.", nameof(destination));
                }

                destination[op++] = (byte)(count - 1);
                source.Slice(start, count).CopyTo(destination.Slice(op, count));
                op += count;
            }

            return op;
        }

        /// <summary>Returns the decoded length, or -1 if the input is truncated or does not fit destination.</summary>
        public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            int ip = 0;
            int op = 0;
            while (ip < source.Length)
            {
                int control = source[ip++];
                if (control < 128)
                {
                    int count = control + 1;
                    if (count > source.Length - ip || count > destination.Length - op)
                    {
                        return -1;
                    }

                    source.Slice(ip, count).CopyTo(destination.Slice(op, count));
                    ip += count;
                    op += count;
                }
                else if (control > 128)
                {
                    int count = 257 - control;
                    if (ip >= source.Length || count > destination.Length - op)
                    {
                        return -1;
                    }

                    destination.Slice(op, count).Fill(source[ip++]);
                    op += count;
                }
            }

            return op;
        }
    }
}
