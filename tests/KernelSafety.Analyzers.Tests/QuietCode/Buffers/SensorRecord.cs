using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Quiet.Buffers;

/// <summary>
/// A fixed 80-byte on-disk record. Layout (little-endian):
/// <code>
///  0  16  device id (Guid bytes)
/// 16   8  timestamp (Unix milliseconds)
/// 24   4  flags
/// 28   4  sequence
/// 32  16  nonce
/// 48  24  name (UTF-8, zero padded)
/// 72   4  reading (IEEE single)
/// 76   4  CRC-32 of bytes 0..75
/// </code>
/// </summary>
public sealed class SensorRecord
{
    public const int Size = 80;
    public const int NonceSize = 16;
    public const int NameFieldSize = 24;

    private const int IdOffset = 0;
    private const int TimestampOffset = 16;
    private const int FlagsOffset = 24;
    private const int SequenceOffset = 28;
    private const int NonceOffset = 32;
    private const int NameOffset = 48;
    private const int ReadingOffset = 72;
    private const int ChecksumOffset = 76;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _nonce = new byte[NonceSize];
    private string _name = string.Empty;

    public Guid DeviceId { get; set; }

    public long TimestampMilliseconds { get; set; }

    public uint Flags { get; set; }

    public uint Sequence { get; set; }

    public float Reading { get; set; }

    public string Name
    {
        get => _name;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (Encoding.UTF8.GetByteCount(value) > NameFieldSize)
            {
                throw new ArgumentException($"The name must encode to at most {NameFieldSize} UTF-8 bytes.", nameof(value));
            }

            _name = value;
        }
    }

    /// <summary>Returns a copy of the 16-byte nonce.</summary>
    public byte[] GetNonce()
    {
        byte[] copy = new byte[NonceSize];
        Buffer.BlockCopy(_nonce, 0, copy, 0, NonceSize);
        return copy;
    }

    /// <summary>Sets the nonce from an array that was already produced as a 16-byte IV.</summary>
    public void SetNonce(byte[] iv)
    {
        ArgumentNullException.ThrowIfNull(iv);
        if (iv.Length != NonceSize)
        {
            throw new ArgumentException($"The IV must be exactly {NonceSize} bytes.", nameof(iv));
        }

        Array.Copy(iv, _nonce, NonceSize);
    }

    /// <summary>Serializes the record into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"The destination must hold at least {Size} bytes.", nameof(destination));
        }

        Span<byte> record = destination.Slice(0, Size);

        if (!DeviceId.TryWriteBytes(record.Slice(IdOffset, 16)))
        {
            throw new InvalidOperationException("Guid.TryWriteBytes failed on a 16-byte span.");
        }

        BinaryPrimitives.WriteInt64LittleEndian(record.Slice(TimestampOffset), TimestampMilliseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(FlagsOffset), Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(SequenceOffset), Sequence);
        _nonce.AsSpan().CopyTo(record.Slice(NonceOffset, NonceSize));

        Span<byte> nameField = record.Slice(NameOffset, NameFieldSize);
        nameField.Clear();
        int nameBytes = Encoding.UTF8.GetBytes(_name, nameField);
        System.Diagnostics.Debug.Assert(nameBytes <= NameFieldSize);

        BinaryPrimitives.WriteSingleLittleEndian(record.Slice(ReadingOffset), Reading);
        uint crc = Crc32.Compute(record.Slice(0, ChecksumOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(ChecksumOffset), crc);
    }

    /// <summary>Writes exactly one 80-byte record; every byte of it is set by <see cref="WriteTo(Span{byte})"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> record = stackalloc byte[Size];
        WriteTo(record);
        stream.Write(record);
    }

    /// <summary>Parses a record from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static SensorRecord Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"A record needs {Size} bytes; got {source.Length}.", nameof(source));
        }

        ReadOnlySpan<byte> record = source.Slice(0, Size);
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(ChecksumOffset));
        uint actual = Crc32.Compute(record.Slice(0, ChecksumOffset));
        if (expected != actual)
        {
            throw new InvalidDataException($"Record checksum mismatch: stored 0x{expected:X8}, computed 0x{actual:X8}.");
        }

        ReadOnlySpan<byte> nameField = record.Slice(NameOffset, NameFieldSize);
        int terminator = nameField.IndexOf((byte)0);
        ReadOnlySpan<byte> nameBytes = terminator < 0 ? nameField : nameField.Slice(0, terminator);

        var result = new SensorRecord
        {
            DeviceId = new Guid(record.Slice(IdOffset, 16)),
            TimestampMilliseconds = BinaryPrimitives.ReadInt64LittleEndian(record.Slice(TimestampOffset)),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(FlagsOffset)),
            Sequence = BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(SequenceOffset)),
            Reading = BinaryPrimitives.ReadSingleLittleEndian(record.Slice(ReadingOffset)),
        };

        // Strict decoding: valid UTF-8 re-encodes to the same nameBytes.Length <= NameFieldSize bytes,
        // so a parsed record can always be written back.
        try
        {
            result._name = StrictUtf8.GetString(nameBytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException("The record name is not valid UTF-8.", ex);
        }

        record.Slice(NonceOffset, NonceSize).CopyTo(result._nonce);
        return result;
    }

    /// <summary>Parses an 80-byte array, e.g. one produced by <see cref="ToArray"/>.</summary>
    public static SensorRecord Parse(byte[] record, int offset)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, record.Length - Size);
        return Parse(record.AsSpan(offset, Size));
    }

    public byte[] ToArray()
    {
        byte[] bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>
    /// Reads one record. Returns null at a clean end of stream and throws if the stream ends mid-record.
    /// </summary>
    public static SensorRecord? ReadFrom(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = new byte[Size];
        int read = stream.ReadAtLeast(buffer, Size, throwOnEndOfStream: false);
        if (read == 0)
        {
            return null;
        }

        if (read < Size)
        {
            throw new EndOfStreamException($"The stream ended after {read} of {Size} record bytes.");
        }

        return Parse(buffer);
    }

    /// <summary>Copies one record verbatim between two 80-byte slots of a record table.</summary>
    public static void CopySlot(byte[] table, int fromSlot, int toSlot)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Length % Size != 0)
        {
            throw new ArgumentException("The table length must be a multiple of the record size.", nameof(table));
        }

        int slots = table.Length / Size;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)fromSlot, (uint)slots, nameof(fromSlot));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)toSlot, (uint)slots, nameof(toSlot));

        Buffer.BlockCopy(table, fromSlot * Size, table, toSlot * Size, Size);
    }
}

/// <summary>Length-prefixed binary blobs on top of <see cref="BinaryWriter"/>/<see cref="BinaryReader"/>.</summary>
public static class BlobIO
{
    public static void WriteBlob(BinaryWriter writer, byte[] data, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(writer);
        BufferArgs.Validate(data, offset, count);
        writer.Write7BitEncodedInt(count);
        writer.Write(data, offset, count);
    }

    /// <summary>Reads a blob, refusing declared lengths above <paramref name="maxLength"/>.</summary>
    public static byte[] ReadBlob(BinaryReader reader, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);

        int length = reader.Read7BitEncodedInt();
        if (length < 0 || length > maxLength)
        {
            throw new InvalidDataException($"Blob length {length} is outside 0..{maxLength}.");
        }

        byte[] result = new byte[length];
        int offset = 0;
        while (offset < length)
        {
            int n = reader.Read(result, offset, length - offset);
            if (n == 0)
            {
                throw new EndOfStreamException($"The blob ended after {offset} of {length} bytes.");
            }

            offset += n;
        }

        return result;
    }
}

/// <summary>
/// Frames: a 2-byte magic, a 4-byte big-endian payload length, the payload. Used on a message bus whose
/// payloads are capped at <see cref="MaxPayload"/> bytes.
/// </summary>
public static class Frame
{
    public const int HeaderSize = 6;
    public const int MaxPayload = 1024;
    private const ushort FrameMagic = 0xF00D;

    /// <summary>
    /// Parses one frame from the start of <paramref name="source"/>. Returns false if more data is needed.
    /// Throws <see cref="InvalidDataException"/> on a corrupt header.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        if (source.Length < HeaderSize)
        {
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(source) != FrameMagic)
        {
            throw new InvalidDataException("Bad frame magic.");
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(source.Slice(2));
        if ((uint)length > MaxPayload)
        {
            throw new InvalidDataException($"Frame length {length} exceeds {MaxPayload}.");
        }

        if (source.Length - HeaderSize < length)
        {
            return false;
        }

        payload = source.Slice(HeaderSize, length);
        consumed = HeaderSize + length;
        return true;
    }

    /// <summary>
    /// Copies a frame's payload into a caller-owned mailbox slot of exactly <see cref="MaxPayload"/> bytes
    /// and returns the payload length. Bytes after the payload are zeroed so the slot never holds stale data.
    /// </summary>
    public static int CopyPayloadToSlot(ReadOnlySpan<byte> frame, byte[] slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        if (slot.Length != MaxPayload)
        {
            throw new ArgumentException($"Slots are exactly {MaxPayload} bytes.", nameof(slot));
        }

        if (!TryRead(frame, out ReadOnlySpan<byte> payload, out _))
        {
            throw new ArgumentException("The frame is incomplete.", nameof(frame));
        }

        // TryRead guarantees payload.Length <= MaxPayload == slot.Length.
        payload.CopyTo(slot);
        Array.Clear(slot, payload.Length, MaxPayload - payload.Length);
        return payload.Length;
    }
}

/// <summary>
/// A process-wide journal of records written to one shared sink. The single staging buffer is only
/// touched while holding <see cref="s_sync"/>, which also serializes writes to the sink.
/// </summary>
public static class RecordJournal
{
    private static readonly object s_sync = new();
    private static readonly byte[] s_staging = new byte[SensorRecord.Size];
    private static Stream? s_sink;

    public static void Attach(Stream sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (s_sync)
        {
            s_sink = sink;
        }
    }

    public static bool TryAppend(SensorRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (s_sync)
        {
            if (s_sink is null)
            {
                return false;
            }

            record.WriteTo(s_staging);
            s_sink.Write(s_staging, 0, s_staging.Length);
            return true;
        }
    }
}
