using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;

namespace Quiet.Buffers;

/// <summary>
/// A tiny byte-oriented LZ77 format.
/// <list type="bullet">
/// <item>token 0x00..0x7F: a literal run of token + 1 bytes follows (1..128);</item>
/// <item>token 0x80..0xFF: a match of (token &amp; 0x7F) + 3 bytes (3..130), followed by a
/// big-endian ushort holding distance - 1 (distance 1..65536).</item>
/// </list>
/// </summary>
public static class LzCodec
{
    public const int MinMatch = 3;
    public const int MaxMatch = 0x7F + MinMatch;
    public const int MaxLiteralRun = 0x80;
    public const int MaxDistance = ushort.MaxValue + 1;

    private const int HashBits = 14;

    /// <summary>Decompresses <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>, <see cref="OperationStatus.DestinationTooSmall"/> or
    /// <see cref="OperationStatus.InvalidData"/> (which also covers a truncated input).
    /// </returns>
    public static OperationStatus Decompress(ReadOnlySpan<byte> input, Span<byte> output, out int bytesWritten)
    {
        int ip = 0;
        int op = 0;
        bytesWritten = 0;

        while (ip < input.Length)
        {
            byte token = input[ip++];
            if (token < 0x80)
            {
                int run = token + 1;
                if (run > input.Length - ip)
                {
                    bytesWritten = op;
                    return OperationStatus.InvalidData;
                }

                if (run > output.Length - op)
                {
                    bytesWritten = op;
                    return OperationStatus.DestinationTooSmall;
                }

                input.Slice(ip, run).CopyTo(output.Slice(op, run));
                ip += run;
                op += run;
            }
            else
            {
                int length = (token & 0x7F) + MinMatch;
                if (input.Length - ip < sizeof(ushort))
                {
                    bytesWritten = op;
                    return OperationStatus.InvalidData;
                }

                int distance = BinaryPrimitives.ReadUInt16BigEndian(input.Slice(ip, sizeof(ushort))) + 1;
                ip += sizeof(ushort);

                if (distance > op)
                {
                    bytesWritten = op;
                    return OperationStatus.InvalidData; // refers to bytes before the start of the output
                }

                if (length > output.Length - op)
                {
                    bytesWritten = op;
                    return OperationStatus.DestinationTooSmall;
                }

                int from = op - distance;
                if (distance >= length)
                {
                    // Source [from, from+length) ends at or before op: the ranges do not overlap.
                    output.Slice(from, length).CopyTo(output.Slice(op, length));
                }
                else
                {
                    // Overlapping match repeats the last `distance` bytes; it must be copied forwards, byte by byte.
                    for (int k = 0; k < length; k++)
                    {
                        output[op + k] = output[from + k];
                    }
                }

                op += length;
            }
        }

        bytesWritten = op;
        return OperationStatus.Done;
    }

    /// <summary>Decompresses into a new array, given the expected decompressed length from a container header.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> input, int decompressedLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decompressedLength);
        byte[] output = new byte[decompressedLength];
        OperationStatus status = Decompress(input, output, out int written);
        if (status != OperationStatus.Done)
        {
            throw new InvalidDataException($"The compressed data is invalid ({status}).");
        }

        if (written != decompressedLength)
        {
            throw new InvalidDataException($"Expected {decompressedLength} bytes but the data decoded to {written}.");
        }

        return output;
    }

}

/// <summary>
/// Streaming decoder for <see cref="LzCodec"/> data that keeps only the last 64 KiB of output
/// (the maximum match distance) in a circular window.
/// </summary>
public sealed class LzWindowDecoder
{
    private const int WindowSize = LzCodec.MaxDistance;

    private readonly byte[] _window = new byte[WindowSize];
    private readonly byte[] _literalScratch = new byte[LzCodec.MaxLiteralRun];
    private readonly byte[] _matchScratch = new byte[LzCodec.MaxMatch];
    private int _position;   // next write index in _window
    private int _available;  // how many window bytes hold real history (<= WindowSize)

    public long TotalOutput { get; private set; }

    /// <summary>Decodes tokens from <paramref name="input"/> until it ends, writing the output to <paramref name="output"/>.</summary>
    public void Decode(Stream input, Stream output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);

        Span<byte> distanceBytes = stackalloc byte[sizeof(ushort)];
        int tokenValue;
        while ((tokenValue = input.ReadByte()) >= 0)
        {
            byte token = (byte)tokenValue;
            if (token < 0x80)
            {
                int run = token + 1; // 1..128 == _literalScratch.Length at most
                input.ReadExactly(_literalScratch, 0, run);
                output.Write(_literalScratch, 0, run);
                AppendToWindow(_literalScratch.AsSpan(0, run));
                TotalOutput += run;
            }
            else
            {
                int length = (token & 0x7F) + LzCodec.MinMatch; // 3..130 == _matchScratch.Length at most
                input.ReadExactly(distanceBytes);
                int distance = BinaryPrimitives.ReadUInt16BigEndian(distanceBytes) + 1;
                if (distance > _available)
                {
                    throw new InvalidDataException($"Match distance {distance} exceeds the {_available} bytes of history.");
                }

                int from = (_position - distance + WindowSize) % WindowSize;
                for (int k = 0; k < length; k++)
                {
                    byte b = _window[from];
                    _matchScratch[k] = b;
                    _window[_position] = b;
                    from = from + 1 == WindowSize ? 0 : from + 1;
                    _position = _position + 1 == WindowSize ? 0 : _position + 1;
                }

                _available = Math.Min(_available + length, WindowSize);
                output.Write(_matchScratch, 0, length);
                TotalOutput += length;
            }
        }
    }

    private void AppendToWindow(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int chunk = Math.Min(data.Length, WindowSize - _position);
            data.Slice(0, chunk).CopyTo(_window.AsSpan(_position, chunk));
            _position = (_position + chunk) % WindowSize;
            _available = Math.Min(_available + chunk, WindowSize);
            data = data.Slice(chunk);
        }
    }
}
