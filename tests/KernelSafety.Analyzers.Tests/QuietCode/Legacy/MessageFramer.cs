using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Quiet.Legacy
{
    public enum FrameType : byte
    {
        Hello = 1,
        Chat = 2,
        Ping = 3,
        Pong = 4,
        Redirect = 5,
        Bye = 6,
    }

    public sealed class Frame
    {
        public Frame(FrameType type, int sequence, byte[] payload)
        {
            Type = type;
            Sequence = sequence;
            Payload = payload ?? new byte[0];
        }

        public FrameType Type { get; private set; }
        public int Sequence { get; private set; }
        public byte[] Payload { get; private set; }
    }

    /// <summary>
    /// Frame layout (all integers big-endian):
    ///   0  magic   2 bytes  0xC4 0x7A
    ///   2  version 1 byte
    ///   3  type    1 byte
    ///   4  seq     4 bytes
    ///   8  length  4 bytes  payload length
    ///  12  payload length bytes
    ///  ..  crc32   4 bytes  over header and payload
    /// </summary>
    public static class FrameWriter
    {
        public const int HeaderSize = 12;
        public const int TrailerSize = 4;
        public const int MaxPayload = 1024 * 1024;
        public const byte Magic0 = 0xC4;
        public const byte Magic1 = 0x7A;
        public const byte Version = 1;

        public static int GetFrameSize(int payloadLength)
        {
            if (payloadLength < 0 || payloadLength > MaxPayload) throw new ArgumentOutOfRangeException("payloadLength");
            return HeaderSize + payloadLength + TrailerSize;
        }

        /// <summary>Builds a frame in a new array sized exactly for it.</summary>
        public static byte[] Build(FrameType type, int sequence, byte[] payload, int offset, int count)
        {
            Wire.CheckRange(payload, offset, count);
            byte[] frame = new byte[GetFrameSize(count)];
            Write(frame, 0, type, sequence, payload, offset, count);
            return frame;
        }

        public static byte[] Build(FrameType type, int sequence, byte[] payload)
        {
            if (payload == null) throw new ArgumentNullException("payload");
            return Build(type, sequence, payload, 0, payload.Length);
        }

        /// <summary>Writes a frame into the caller's buffer and returns the number of bytes written.</summary>
        public static int Write(byte[] destination, int destinationOffset, FrameType type, int sequence,
                                byte[] payload, int offset, int count)
        {
            Wire.CheckRange(payload, offset, count);
            int total = GetFrameSize(count);
            Wire.CheckRange(destination, destinationOffset, total);

            destination[destinationOffset] = Magic0;
            destination[destinationOffset + 1] = Magic1;
            destination[destinationOffset + 2] = Version;
            destination[destinationOffset + 3] = (byte)type;
            Wire.WriteInt32(destination, destinationOffset + 4, sequence);
            Wire.WriteInt32(destination, destinationOffset + 8, count);
            Buffer.BlockCopy(payload, offset, destination, destinationOffset + HeaderSize, count);

            uint crc = Crc32.Compute(destination, destinationOffset, HeaderSize + count);
            Wire.WriteUInt32(destination, destinationOffset + HeaderSize + count, crc);
            return total;
        }

        /// <summary>Payload of a Redirect frame: IPv4 address (4 bytes) followed by the port in network order.</summary>
        public static byte[] BuildRedirectPayload(IPEndPoint target)
        {
            if (target == null) throw new ArgumentNullException("target");
            if (target.AddressFamily != AddressFamily.InterNetwork)
                throw new ArgumentException("Only IPv4 redirects are supported.", "target");

            byte[] address = target.Address.GetAddressBytes();
            byte[] payload = new byte[6];
            Buffer.BlockCopy(address, 0, payload, 0, address.Length);
            byte[] port = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(unchecked((short)target.Port)));
            Buffer.BlockCopy(port, 0, payload, 4, 2);
            return payload;
        }

        public static IPEndPoint ParseRedirectPayload(byte[] payload)
        {
            if (payload == null) throw new ArgumentNullException("payload");
            if (payload.Length != 6) throw new InvalidDataException("Redirect payload must be 6 bytes.");

            byte[] address = new byte[4];
            Buffer.BlockCopy(payload, 0, address, 0, 4);
            int port = unchecked((ushort)IPAddress.NetworkToHostOrder(BitConverter.ToInt16(payload, 4)));
            return new IPEndPoint(new IPAddress(address), port);
        }

        public static byte[] EncodeText(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            if (utf8.Length > MaxPayload) throw new ArgumentException("Text is too long for one frame.", "text");
            return utf8;
        }
    }

    /// <summary>
    /// Reassembles frames from a byte stream that arrives in arbitrary pieces. Not thread-safe: one decoder per
    /// connection, fed by that connection's single outstanding receive.
    /// </summary>
    public sealed class FrameDecoder
    {
        private byte[] _buffer;
        private int _start;
        private int _count;

        public FrameDecoder() : this(4096)
        {
        }

        public FrameDecoder(int initialCapacity)
        {
            if (initialCapacity < FrameWriter.HeaderSize) throw new ArgumentOutOfRangeException("initialCapacity");
            _buffer = new byte[initialCapacity];
        }

        public int BufferedBytes
        {
            get { return _count; }
        }

        /// <summary>Adds received bytes and returns every frame they complete.</summary>
        public List<Frame> Feed(byte[] data, int offset, int count)
        {
            Wire.CheckRange(data, offset, count);
            EnsureSpace(count);
            Buffer.BlockCopy(data, offset, _buffer, _start + _count, count);
            _count += count;

            var frames = new List<Frame>();
            Frame frame;
            while (TryParseOne(out frame))
                frames.Add(frame);
            return frames;
        }

        private void EnsureSpace(int incoming)
        {
            if (_buffer.Length - _start - _count >= incoming)
                return;

            // Frames are parsed after every Feed, so _count stays below one maximal frame; the buffer never
            // grows past that plus one receive.
            long needed = (long)_count + incoming;
            if (needed > int.MaxValue)
                throw new InvalidDataException("Too much unframed data.");

            if (needed <= _buffer.Length)
            {
                // Enough room overall: slide the pending bytes to the front.
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count);
            }
            else
            {
                int newSize = (int)Math.Max(needed, Math.Min(_buffer.Length * 2L, int.MaxValue));
                var bigger = new byte[newSize];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, _count);
                _buffer = bigger;
            }
            _start = 0;
        }

        private bool TryParseOne(out Frame frame)
        {
            frame = null;
            if (_count < FrameWriter.HeaderSize)
                return false;

            int p = _start;
            if (_buffer[p] != FrameWriter.Magic0 || _buffer[p + 1] != FrameWriter.Magic1)
                throw new InvalidDataException("Bad frame magic.");
            if (_buffer[p + 2] != FrameWriter.Version)
                throw new InvalidDataException("Unsupported frame version " + _buffer[p + 2] + ".");

            int length = Wire.ReadInt32(_buffer, p + 8);
            if (length < 0 || length > FrameWriter.MaxPayload)
                throw new InvalidDataException("Frame length " + length + " is out of range.");

            int total = FrameWriter.HeaderSize + length + FrameWriter.TrailerSize;
            if (_count < total)
                return false;

            uint expected = Wire.ReadUInt32(_buffer, p + FrameWriter.HeaderSize + length);
            uint actual = Crc32.Compute(_buffer, p, FrameWriter.HeaderSize + length);
            if (expected != actual)
                throw new InvalidDataException("Frame checksum mismatch.");

            var payload = new byte[length];
            Buffer.BlockCopy(_buffer, p + FrameWriter.HeaderSize, payload, 0, length);
            frame = new Frame((FrameType)_buffer[p + 3], Wire.ReadInt32(_buffer, p + 4), payload);

            _start += total;
            _count -= total;
            if (_count == 0)
                _start = 0;
            return true;
        }
    }

    /// <summary>
    /// Fixed 32-byte control record used by older peers: a 4-byte code, a 2-byte text length and up to
    /// 26 bytes of ASCII text, zero padded. The record is always sent whole; the padding is part of the format.
    /// </summary>
    public sealed class ControlRecordWriter
    {
        public const int RecordSize = 32;
        public const int MaxText = RecordSize - 6;

        private readonly byte[] _record = new byte[RecordSize];
        private readonly object _sync = new object();

        public void Send(Socket socket, int code, string text)
        {
            if (socket == null) throw new ArgumentNullException("socket");
            if (text == null) throw new ArgumentNullException("text");
            if (text.Length > MaxText) throw new ArgumentOutOfRangeException("text", "At most " + MaxText + " characters.");

            lock (_sync)
            {
                Array.Clear(_record, 0, _record.Length);
                Wire.WriteInt32(_record, 0, code);
                int written = Encoding.ASCII.GetBytes(text, 0, text.Length, _record, 6);
                Wire.WriteUInt16(_record, 4, (ushort)written);
                SocketHelpers.SendAll(socket, _record, 0, _record.Length);
            }
        }

        public static void Parse(byte[] record, out int code, out string text)
        {
            if (record == null) throw new ArgumentNullException("record");
            if (record.Length != RecordSize) throw new InvalidDataException("Control records are " + RecordSize + " bytes.");
            code = Wire.ReadInt32(record, 0);
            int length = Wire.ReadUInt16(record, 4);
            if (length > MaxText) throw new InvalidDataException("Control record text length " + length + " is too large.");
            text = Encoding.ASCII.GetString(record, 6, length);
        }
    }
}
