using System;
using System.Buffers.Binary;

namespace Quiet.Buffers;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven.</summary>
public static class Crc32
{
    // Built once by the static initializer and only read afterwards.
    private static readonly uint[] s_table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] table = s_table;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }
}

/// <summary>CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF), as used by many framing protocols.</summary>
public static class Crc16Ccitt
{
    private static readonly ushort[] s_table;

    // The table is filled here and never modified again.
    static Crc16Ccitt()
    {
        s_table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            ushort crc = (ushort)(i << 8);
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }

            s_table[i] = crc;
        }
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        for (int i = 0; i < data.Length; i++)
        {
            crc = (ushort)((crc << 8) ^ s_table[((crc >> 8) ^ data[i]) & 0xFF]);
        }

        return crc;
    }

    /// <summary>
    /// Appends the big-endian CRC of <paramref name="frame"/>[..<paramref name="payloadLength"/>] right after the
    /// payload and returns the total frame length.
    /// </summary>
    public static int AppendTo(Span<byte> frame, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, frame.Length - sizeof(ushort));

        ushort crc = Compute(frame.Slice(0, payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(payloadLength, sizeof(ushort)), crc);
        return payloadLength + sizeof(ushort);
    }
}
