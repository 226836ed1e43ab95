using System;
using System.Threading;

namespace Quiet.Buffers;

/// <summary>Hexadecimal encoding with precomputed digit tables.</summary>
public static class HexCodec
{
    private static ReadOnlySpan<byte> LowerDigits => "0123456789abcdef"u8;

    // Upper-case digits as chars; a static readonly table that is only ever read.
    private static readonly char[] s_upperDigits = "0123456789ABCDEF".ToCharArray();

    // Per-thread scratch for short encodings; never shared between threads.
    [ThreadStatic]
    private static char[]? t_scratch;

    private const int ScratchSize = 256;

    public static int GetEncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteCount, int.MaxValue / 2);
        return byteCount * 2;
    }

    /// <summary>Encodes into ASCII bytes. Returns false (writing nothing) if <paramref name="destination"/> is too small.</summary>
    public static bool TryEncodeLower(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        if (source.Length > int.MaxValue / 2 || destination.Length < source.Length * 2)
        {
            bytesWritten = 0;
            return false;
        }

        ReadOnlySpan<byte> digits = LowerDigits;
        for (int i = 0, j = 0; i < source.Length; i++, j += 2)
        {
            byte b = source[i];
            destination[j] = digits[b >> 4];
            destination[j + 1] = digits[b & 0xF];
        }

        bytesWritten = source.Length * 2;
        return true;
    }

    /// <summary>Upper-case hex string. Short inputs are formatted in a thread-local scratch array.</summary>
    public static string ToHexUpper(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return string.Empty;
        }

        int length = GetEncodedLength(source.Length);
        if (length > ScratchSize)
        {
            return string.Create(length, source.ToArray(), static (chars, bytes) => FormatUpper(bytes, chars));
        }

        char[] scratch = t_scratch ??= new char[ScratchSize];
        FormatUpper(source, scratch);
        return new string(scratch, 0, length);
    }

    private static void FormatUpper(ReadOnlySpan<byte> source, Span<char> destination)
    {
        // Callers guarantee destination.Length >= 2 * source.Length; the slice makes the JIT and readers agree.
        destination = destination.Slice(0, source.Length * 2);
        char[] digits = s_upperDigits;
        for (int i = 0; i < source.Length; i++)
        {
            destination[2 * i] = digits[source[i] >> 4];
            destination[2 * i + 1] = digits[source[i] & 0xF];
        }
    }
}

/// <summary>URL-safe Base64 without padding (RFC 4648 section 5).</summary>
public static class Base64Url
{
    private static readonly byte[] s_alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8.ToArray();

    private const int StagingSize = 4096;

    // Short encodes are staged in one shared buffer to keep allocations flat in a legacy hot path;
    // every access to it happens while holding s_stagingLock.
    private static readonly byte[] s_staging = new byte[StagingSize];
    private static readonly object s_stagingLock = new();

    public static int GetEncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        long full = (long)byteCount / 3 * 4;
        int rem = byteCount % 3;
        long total = full + (rem == 0 ? 0 : rem + 1);
        if (total > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(byteCount));
        }

        return (int)total;
    }

    public static bool TryEncode(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        int required = GetEncodedLength(source.Length);
        if (destination.Length < required)
        {
            bytesWritten = 0;
            return false;
        }

        byte[] alphabet = s_alphabet;
        int si = 0;
        int di = 0;
        while (source.Length - si >= 3)
        {
            int v = (source[si] << 16) | (source[si + 1] << 8) | source[si + 2];
            destination[di] = alphabet[(v >> 18) & 63];
            destination[di + 1] = alphabet[(v >> 12) & 63];
            destination[di + 2] = alphabet[(v >> 6) & 63];
            destination[di + 3] = alphabet[v & 63];
            si += 3;
            di += 4;
        }

        int remaining = source.Length - si;
        if (remaining == 1)
        {
            int v = source[si] << 16;
            destination[di++] = alphabet[(v >> 18) & 63];
            destination[di++] = alphabet[(v >> 12) & 63];
        }
        else if (remaining == 2)
        {
            int v = (source[si] << 16) | (source[si + 1] << 8);
            destination[di++] = alphabet[(v >> 18) & 63];
            destination[di++] = alphabet[(v >> 12) & 63];
            destination[di++] = alphabet[(v >> 6) & 63];
        }

        bytesWritten = di;
        return true;
    }

    public static string Encode(ReadOnlySpan<byte> source)
    {
        int length = GetEncodedLength(source.Length);
        if (length <= StagingSize)
        {
            lock (s_stagingLock)
            {
                bool ok = TryEncode(source, s_staging, out int written);
                System.Diagnostics.Debug.Assert(ok && written == length);
                return System.Text.Encoding.ASCII.GetString(s_staging, 0, written);
            }
        }

        byte[] buffer = new byte[length];
        if (!TryEncode(source, buffer, out int n))
        {
            throw new InvalidOperationException("Encoding into an exactly sized buffer failed.");
        }

        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    }
}
