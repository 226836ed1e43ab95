using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;

namespace Quiet.Buffers;

/// <summary>Writes 16-bit PCM WAV files.</summary>
public static class WavFile
{
    public const int HeaderSize = 44;
    private const int StagingSize = 8192;

    /// <summary>Fills all 44 bytes of a canonical PCM WAV header.</summary>
    public static void FormatHeader(Span<byte> header, int sampleRate, short channels, uint dataLength)
    {
        if (header.Length < HeaderSize)
        {
            throw new ArgumentException($"A WAV header needs {HeaderSize} bytes.", nameof(header));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, (short)32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataLength, uint.MaxValue - (HeaderSize - 8));

        const short bitsPerSample = 16;
        short blockAlign = (short)(channels * (bitsPerSample / 8));
        long byteRate = (long)sampleRate * blockAlign;
        if (byteRate > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), "The byte rate does not fit in 32 bits.");
        }

        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(4), dataLength + (HeaderSize - 8));
        "WAVE"u8.CopyTo(header.Slice(8));
        "fmt "u8.CopyTo(header.Slice(12));
        BinaryPrimitives.WriteInt32LittleEndian(header.Slice(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(header.Slice(20), 1); // PCM
        BinaryPrimitives.WriteInt16LittleEndian(header.Slice(22), channels);
        BinaryPrimitives.WriteInt32LittleEndian(header.Slice(24), sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(28), (uint)byteRate);
        BinaryPrimitives.WriteInt16LittleEndian(header.Slice(32), blockAlign);
        BinaryPrimitives.WriteInt16LittleEndian(header.Slice(34), bitsPerSample);
        "data"u8.CopyTo(header.Slice(36));
        BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(40), dataLength);
    }

    /// <summary>Writes a complete WAV file holding samples[start..start+count] (interleaved).</summary>
    public static void Write(Stream stream, int sampleRate, short channels, short[] samples, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, samples.Length - start);
        // Keeps every byte offset handed to Buffer.BlockCopy (and the data length) below int.MaxValue.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, int.MaxValue / sizeof(short));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (count % channels != 0)
        {
            throw new ArgumentException("The sample count must be a multiple of the channel count.", nameof(count));
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        FormatHeader(header, sampleRate, channels, (uint)(count * sizeof(short)));
        stream.Write(header);

        byte[] staging = new byte[StagingSize];
        const int samplesPerBatch = StagingSize / sizeof(short);
        int done = 0;
        while (done < count)
        {
            int batch = Math.Min(count - done, samplesPerBatch);
            int byteCount = batch * sizeof(short);
            if (BitConverter.IsLittleEndian)
            {
                // Buffer.BlockCopy offsets and counts are in bytes.
                Buffer.BlockCopy(samples, (start + done) * sizeof(short), staging, 0, byteCount);
            }
            else
            {
                for (int i = 0; i < batch; i++)
                {
                    BinaryPrimitives.WriteInt16LittleEndian(staging.AsSpan(i * sizeof(short)), samples[start + done + i]);
                }
            }

            stream.Write(staging, 0, byteCount);
            done += batch;
        }
    }
}

/// <summary>Writes uncompressed 24-bit bottom-up BMP images.</summary>
public static class BmpWriter
{
    public const int FileHeaderSize = 14;
    public const int InfoHeaderSize = 40;
    public const int HeaderSize = FileHeaderSize + InfoHeaderSize;

    /// <summary>
    /// Writes <paramref name="bgr"/> (top row first, 3 bytes per pixel, no row padding) as a BMP file.
    /// </summary>
    public static void Write(Stream stream, int width, int height, ReadOnlySpan<byte> bgr)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        long rowBytesLong = (long)width * 3;
        long strideLong = (rowBytesLong + 3) & ~3L;
        long imageSize = strideLong * height;
        if (imageSize + HeaderSize > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "The image is too large for a BMP file.");
        }

        int rowBytes = (int)rowBytesLong;
        int stride = (int)strideLong;
        if (bgr.Length != (long)rowBytes * height)
        {
            throw new ArgumentException($"Expected {(long)rowBytes * height} pixel bytes, got {bgr.Length}.", nameof(bgr));
        }

        byte[] header = new byte[HeaderSize];
        Span<byte> h = header;
        h[0] = (byte)'B';
        h[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(2), HeaderSize + (int)imageSize);
        // bytes 6..9 are reserved and stay zero
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(10), HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(14), InfoHeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(h.Slice(26), 1);  // planes
        BinaryPrimitives.WriteInt16LittleEndian(h.Slice(28), 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(34), (int)imageSize);
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(38), 2835); // 72 DPI
        BinaryPrimitives.WriteInt32LittleEndian(h.Slice(42), 2835);
        stream.Write(header, 0, header.Length);

        byte[] row = ArrayPool<byte>.Shared.Rent(stride);
        try
        {
            // Padding bytes between rowBytes and stride must be zero in the file.
            row.AsSpan(rowBytes, stride - rowBytes).Clear();
            for (int y = height - 1; y >= 0; y--)
            {
                bgr.Slice(y * rowBytes, rowBytes).CopyTo(row);
                stream.Write(row, 0, stride);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
    }
}
