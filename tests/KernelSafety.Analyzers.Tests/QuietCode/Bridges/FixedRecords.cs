using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Quiet.Bridges
{
    /// <summary>Marks a field whose value is stored in network (big-endian) byte order.</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
    public sealed class NetworkByteOrderAttribute : Attribute
    {
    }

    /// <summary>
    /// One message of the device protocol: exactly 80 bytes, the text zero-padded. Because the record
    /// itself is 80 bytes, sending all 80 sends the record, never stale memory.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = RecordSize)]
    public unsafe struct DeviceMessage
    {
        public const int RecordSize = 80;

        public fixed byte Bytes[RecordSize];

        /// <summary>Builds a message from up to 80 bytes; the rest of the record stays zero.</summary>
        public static DeviceMessage Create(ReadOnlySpan<byte> text)
        {
            if (text.Length > RecordSize)
            {
                throw new ArgumentOutOfRangeException(nameof(text), text.Length, $"A message holds at most {RecordSize} bytes.");
            }

            DeviceMessage message = default;
            text.CopyTo(new Span<byte>(message.Bytes, RecordSize));
            return message;
        }

        /// <summary>Builds a message from native memory, e.g. a buffer handed over by a native callback.</summary>
        public static DeviceMessage Create(byte* source, int length)
        {
            if (source == null && length != 0)
            {
                throw new ArgumentNullException(nameof(source));
            }

            if ((uint)length > RecordSize)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, $"A message holds at most {RecordSize} bytes.");
            }

            DeviceMessage message = default;
            Buffer.MemoryCopy(source, message.Bytes, RecordSize, length);
            return message;
        }

        /// <summary>Length of the text: the record up to its first zero byte.</summary>
        public int TextLength
        {
            get
            {
                fixed (byte* bytes = Bytes)
                {
                    int end = new ReadOnlySpan<byte>(bytes, RecordSize).IndexOf((byte)0);
                    return end < 0 ? RecordSize : end;
                }
            }
        }

        public byte[] ToArray()
        {
            var result = new byte[RecordSize];
            fixed (byte* bytes = Bytes)
            {
                new ReadOnlySpan<byte>(bytes, RecordSize).CopyTo(result);
            }

            return result;
        }

        public override string ToString()
        {
            fixed (byte* bytes = Bytes)
            {
                return Encoding.ASCII.GetString(bytes, TextLength);
            }
        }
    }

    /// <summary>
    /// A telemetry record with a fixed 80-byte wire form (all integers big-endian):
    /// <code>
    ///  0  4  magic "KREC"
    ///  4  4  sequence number
    ///  8  8  timestamp, Unix milliseconds
    /// 16  2  source port
    /// 18  1  level
    /// 19  1  text length in bytes (0..60)
    /// 20 60  UTF-8 text, zero padded
    /// </code>
    /// </summary>
    public sealed record TelemetryRecord(uint Sequence, DateTimeOffset Timestamp, ushort SourcePort, byte Level, string Text)
    {
        public const int Size = 80;
        public const int HeaderSize = 20;
        public const int MaxTextBytes = Size - HeaderSize;

        private static ReadOnlySpan<byte> Magic => "KREC"u8;

        /// <summary>
        /// Writes the 80-byte form into the start of <paramref name="destination"/> and returns 80.
        /// Text longer than 60 bytes is cut at a character boundary.
        /// </summary>
        public int WriteTo(Span<byte> destination)
        {
            if (destination.Length < Size)
            {
                throw new ArgumentException($"The destination must hold at least {Size} bytes.", nameof(destination));
            }

            Span<byte> record = destination.Slice(0, Size);
            Magic.CopyTo(record);
            BinaryPrimitives.WriteUInt32BigEndian(record.Slice(4, 4), Sequence);
            BinaryPrimitives.WriteInt64BigEndian(record.Slice(8, 8), Timestamp.ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteUInt16BigEndian(record.Slice(16, 2), SourcePort);
            record[18] = Level;

            Span<byte> text = record.Slice(HeaderSize, MaxTextBytes);
            // DestinationTooSmall just means the text was truncated; only whole characters are written.
            Utf8.FromUtf16(Text, text, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
            record[19] = (byte)written;
            text.Slice(written).Clear();
            return Size;
        }

        public byte[] ToArray()
        {
            var bytes = new byte[Size];
            WriteTo(bytes);
            return bytes;
        }

        public static TelemetryRecord Read(ReadOnlySpan<byte> source)
        {
            if (source.Length < Size)
            {
                throw new ArgumentException($"A record is {Size} bytes; got {source.Length}.", nameof(source));
            }

            if (!source.StartsWith(Magic))
            {
                throw new InvalidDataException("Not a telemetry record (bad magic).");
            }

            int textLength = source[19];
            if (textLength > MaxTextBytes)
            {
                throw new InvalidDataException($"Text length {textLength} exceeds {MaxTextBytes}.");
            }

            return new TelemetryRecord(
                BinaryPrimitives.ReadUInt32BigEndian(source.Slice(4, 4)),
                DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(source.Slice(8, 8))),
                BinaryPrimitives.ReadUInt16BigEndian(source.Slice(16, 2)),
                source[18],
                Encoding.UTF8.GetString(source.Slice(HeaderSize, textLength)));
        }

        /// <summary>Where the record came from, as an endpoint (the port is host order once read).</summary>
        public IPEndPoint Source => new IPEndPoint(IPAddress.Loopback, SourcePort);
    }

    /// <summary>
    /// An 8-byte frame header laid out exactly as on the wire, so it can be written with a plain
    /// memory copy. Every multi-byte field is kept in network byte order.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct FrameHeader
    {
        public const int Size = 8;

        [NetworkByteOrder] public ushort DestinationPort;
        [NetworkByteOrder] public ushort PayloadLength;
        [NetworkByteOrder] public uint Sequence;

        public static FrameHeader Create(int destinationPort, int payloadLength, uint sequence)
        {
            if ((uint)destinationPort > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(destinationPort));
            }

            if ((uint)payloadLength > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(payloadLength));
            }

            return new FrameHeader
            {
                DestinationPort = unchecked((ushort)IPAddress.HostToNetworkOrder(unchecked((short)destinationPort))),
                PayloadLength = BitConverter.IsLittleEndian
                    ? BinaryPrimitives.ReverseEndianness((ushort)payloadLength)
                    : (ushort)payloadLength,
                Sequence = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(sequence) : sequence,
            };
        }

        public int HostDestinationPort => unchecked((ushort)IPAddress.NetworkToHostOrder(unchecked((short)DestinationPort)));

        public int HostPayloadLength => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(PayloadLength) : PayloadLength;

        /// <summary>The fields already hold wire order, so a native-order copy of the struct is the wire form.</summary>
        public void WriteTo(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

        public static FrameHeader ReadFrom(ReadOnlySpan<byte> source) => MemoryMarshal.Read<FrameHeader>(source);
    }

    /// <summary>
    /// Writes and reads fixed 80-byte records on a stream (typically a <see cref="System.Net.Sockets.NetworkStream"/>
    /// kept open by the caller). Thread-safe; each record is written whole.
    /// </summary>
    public sealed class RecordStream
    {
        /// <summary>Frames with a length prefix: 2-byte big-endian length, then up to 78 payload bytes, zero padded.</summary>
        public const int FrameSize = 80;
        public const int MaxFramePayload = FrameSize - 2;

        private readonly object _writeGate = new object();
        private readonly object _readGate = new object();
        private readonly Stream _stream;
        private readonly byte[] _outgoing = new byte[FrameSize]; // guarded by _writeGate
        private readonly byte[] _incoming = new byte[FrameSize]; // guarded by _readGate

        public RecordStream(Stream stream)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        }

        public void Write(TelemetryRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            lock (_writeGate)
            {
                int length = record.WriteTo(_outgoing);
                _stream.Write(_outgoing, 0, length);
            }
        }

        public void Write(in DeviceMessage message)
        {
            // The struct is the record: 80 bytes, padding included and zeroed at creation.
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<DeviceMessage>(in message));
            lock (_writeGate)
            {
                _stream.Write(bytes);
            }
        }

        /// <summary>Variant for callers that prefer pooled memory over the instance buffer.</summary>
        public void WritePooled(TelemetryRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            byte[] rented = ArrayPool<byte>.Shared.Rent(TelemetryRecord.Size);
            try
            {
                int length = record.WriteTo(rented);
                lock (_writeGate)
                {
                    _stream.Write(rented, 0, length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        /// <summary>
        /// Sends up to <see cref="MaxFramePayload"/> bytes as one 80-byte frame and returns how many were
        /// taken. The frame is fixed-size by protocol; the bytes after the payload are zeroed first.
        /// </summary>
        public int WriteFrame(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int length = Math.Min(count, MaxFramePayload);
            lock (_writeGate)
            {
                BinaryPrimitives.WriteUInt16BigEndian(_outgoing, (ushort)length);
                Buffer.BlockCopy(buffer, offset, _outgoing, 2, length);
                Array.Clear(_outgoing, 2 + length, MaxFramePayload - length);
                _stream.Write(_outgoing, 0, FrameSize);
            }

            return length;
        }

        /// <summary>Reads one frame and copies its payload into <paramref name="destination"/>; returns the payload length.</summary>
        public int ReadFrame(Span<byte> destination)
        {
            lock (_readGate)
            {
                FillExactly(_incoming);
                int length = BinaryPrimitives.ReadUInt16BigEndian(_incoming);
                if (length > MaxFramePayload)
                {
                    throw new InvalidDataException($"Frame announces {length} payload bytes; at most {MaxFramePayload} fit.");
                }

                if (length > destination.Length)
                {
                    throw new ArgumentException($"The frame carries {length} bytes but the destination holds {destination.Length}.", nameof(destination));
                }

                _incoming.AsSpan(2, length).CopyTo(destination);
                return length;
            }
        }

        public TelemetryRecord ReadRecord()
        {
            lock (_readGate)
            {
                FillExactly(_incoming);
                return TelemetryRecord.Read(_incoming);
            }
        }

        /// <summary>Reads until the buffer is full; a stream read may return fewer bytes than asked.</summary>
        private void FillExactly(byte[] buffer)
        {
            int filled = 0;
            while (filled < buffer.Length)
            {
                int read = _stream.Read(buffer, filled, buffer.Length - filled);
                if (read == 0)
                {
                    throw new EndOfStreamException($"The stream ended {filled} bytes into an {buffer.Length}-byte record.");
                }

                filled += read;
            }
        }
    }
}
