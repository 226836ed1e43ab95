using System;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Modbus
{
    public enum ModbusFunction : byte
    {
        ReadCoils = 0x01,
        ReadDiscreteInputs = 0x02,
        ReadHoldingRegisters = 0x03,
        ReadInputRegisters = 0x04,
        WriteSingleCoil = 0x05,
        WriteSingleRegister = 0x06,
        WriteMultipleRegisters = 0x10,
    }

    public sealed class ModbusException : Exception
    {
        public ModbusException(ModbusFunction function, byte code)
            : base($"Modbus exception {code:x2} ({Describe(code)}) for function {function}.")
        {
            Function = function;
            ExceptionCode = code;
        }

        public ModbusFunction Function { get; }
        public byte ExceptionCode { get; }

        private static string Describe(byte code) => code switch
        {
            1 => "illegal function",
            2 => "illegal data address",
            3 => "illegal data value",
            4 => "server device failure",
            6 => "server device busy",
            0x0A => "gateway path unavailable",
            0x0B => "gateway target failed to respond",
            _ => "unknown",
        };
    }

    /// <summary>
    /// The 7-byte MBAP header laid out as on the wire. The 16-bit fields hold network-order values, so the struct
    /// can be written with a native-order <see cref="MemoryMarshal.Write{T}(Span{byte}, in T)"/>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct MbapHeader
    {
        public const int Size = 7;

        [NetworkByteOrder] public ushort TransactionId;
        [NetworkByteOrder] public ushort ProtocolId;
        [NetworkByteOrder] public ushort Length;
        public byte UnitId;

        public static MbapHeader Create(ushort transactionId, int pduLength, byte unitId) => new MbapHeader
        {
            TransactionId = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(transactionId) : transactionId,
            ProtocolId = 0,
            Length = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)(pduLength + 1)) : (ushort)(pduLength + 1),
            UnitId = unitId,
        };

        public static (ushort TransactionId, ushort ProtocolId, int Length, byte UnitId) Read(ReadOnlySpan<byte> source)
        {
            if (source.Length < Size) throw new WireFormatException("MBAP header is 7 bytes.");
            return (
                BinaryPrimitives.ReadUInt16BigEndian(source),
                BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2)),
                BinaryPrimitives.ReadUInt16BigEndian(source.Slice(4)),
                source[6]);
        }
    }

    /// <summary>
    /// Modbus TCP client. One connection, one transaction in flight (many devices do not pipeline), reconnecting
    /// only after the connection has failed.
    /// </summary>
    public sealed class ModbusTcpClient : IDisposable
    {
        public const int DefaultPort = 502;
        public const int MaxReadRegisters = 125;
        public const int MaxWriteRegisters = 123;
        public const int MaxReadCoils = 2000;
        private const int MaxAdu = MbapHeader.Size + 253;

        private readonly IPEndPoint _endPoint;
        private readonly byte _unitId;
        private readonly TimeSpan _timeout;
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private readonly byte[] _response = new byte[MaxAdu];
        private Socket? _socket;
        private ushort _transactionId;

        public ModbusTcpClient(IPAddress address, byte unitId = 1, int port = DefaultPort, TimeSpan? timeout = null)
        {
            _endPoint = new IPEndPoint(address, NetOrder.CheckedPort(port));
            _unitId = unitId;
            _timeout = timeout ?? TimeSpan.FromSeconds(3);
        }

        private Socket EnsureConnected()
        {
            if (_socket is { Connected: true }) return _socket;
            _socket?.Dispose();
            Socket socket = SocketIO.ConnectWithTimeout(_endPoint, _timeout);
            socket.NoDelay = true;
            socket.ReceiveTimeout = (int)_timeout.TotalMilliseconds;
            socket.SendTimeout = (int)_timeout.TotalMilliseconds;
            _socket = socket;
            return socket;
        }

        private void Drop()
        {
            _socket?.Dispose();
            _socket = null;
        }

        /// <summary>Reads holding registers into <paramref name="destination"/>, which must fit <paramref name="count"/>.</summary>
        public void ReadHoldingRegisters(ushort startAddress, int count, Span<ushort> destination) =>
            ReadRegisters(ModbusFunction.ReadHoldingRegisters, startAddress, count, destination);

        public void ReadInputRegisters(ushort startAddress, int count, Span<ushort> destination) =>
            ReadRegisters(ModbusFunction.ReadInputRegisters, startAddress, count, destination);

        private void ReadRegisters(ModbusFunction function, ushort startAddress, int count, Span<ushort> destination)
        {
            if (count < 1 || count > MaxReadRegisters) throw new ArgumentOutOfRangeException(nameof(count), count, "Read 1..125 registers.");
            if (destination.Length < count) throw new ArgumentException($"Destination holds {destination.Length} registers, {count} requested.", nameof(destination));
            if (startAddress + count > 0x10000) throw new ArgumentOutOfRangeException(nameof(startAddress), "The range passes register 65535.");

            Span<byte> pdu = stackalloc byte[5];
            pdu[0] = (byte)function;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(1), startAddress);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(3), (ushort)count);

            ReadOnlySpan<byte> reply = Transact(pdu);
            if (reply.Length < 2 || reply[1] != count * 2 || reply.Length != 2 + count * 2)
                throw new WireFormatException($"Expected {count * 2} register bytes in the reply.");
            ReadOnlySpan<byte> data = reply.Slice(2);
            for (int i = 0; i < count; i++)
            {
                destination[i] = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i * 2, 2));
            }
        }

        public bool[] ReadCoils(ushort startAddress, int count)
        {
            if (count < 1 || count > MaxReadCoils) throw new ArgumentOutOfRangeException(nameof(count), count, "Read 1..2000 coils.");
            if (startAddress + count > 0x10000) throw new ArgumentOutOfRangeException(nameof(startAddress), "The range passes coil 65535.");

            Span<byte> pdu = stackalloc byte[5];
            pdu[0] = (byte)ModbusFunction.ReadCoils;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(1), startAddress);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(3), (ushort)count);

            ReadOnlySpan<byte> reply = Transact(pdu);
            int byteCount = (count + 7) / 8;
            if (reply.Length != 2 + byteCount || reply[1] != byteCount) throw new WireFormatException("Coil reply has the wrong size.");
            var coils = new bool[count];
            for (int i = 0; i < count; i++)
            {
                coils[i] = (reply[2 + i / 8] & (1 << (i % 8))) != 0;
            }
            return coils;
        }

        public void WriteSingleRegister(ushort address, ushort value)
        {
            Span<byte> pdu = stackalloc byte[5];
            pdu[0] = (byte)ModbusFunction.WriteSingleRegister;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(1), address);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(3), value);
            ReadOnlySpan<byte> reply = Transact(pdu);
            // The server echoes the request PDU.
            if (!reply.SequenceEqual(pdu)) throw new WireFormatException("Write Single Register echo does not match.");
        }

        public void WriteSingleCoil(ushort address, bool on)
        {
            Span<byte> pdu = stackalloc byte[5];
            pdu[0] = (byte)ModbusFunction.WriteSingleCoil;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(1), address);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(3), on ? (ushort)0xFF00 : (ushort)0x0000);
            ReadOnlySpan<byte> reply = Transact(pdu);
            if (!reply.SequenceEqual(pdu)) throw new WireFormatException("Write Single Coil echo does not match.");
        }

        public void WriteMultipleRegisters(ushort startAddress, ReadOnlySpan<ushort> values)
        {
            if (values.Length < 1 || values.Length > MaxWriteRegisters)
                throw new ArgumentOutOfRangeException(nameof(values), values.Length, "Write 1..123 registers.");
            if (startAddress + values.Length > 0x10000) throw new ArgumentOutOfRangeException(nameof(startAddress), "The range passes register 65535.");

            // Largest PDU: 6 bytes of fields plus 123 * 2 data bytes = 252, below the 253-byte PDU limit.
            Span<byte> pdu = stackalloc byte[6 + MaxWriteRegisters * 2];
            pdu[0] = (byte)ModbusFunction.WriteMultipleRegisters;
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(1), startAddress);
            BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(3), (ushort)values.Length);
            pdu[5] = (byte)(values.Length * 2);
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(pdu.Slice(6 + i * 2, 2), values[i]);
            }
            int pduLength = 6 + values.Length * 2;

            ReadOnlySpan<byte> reply = Transact(pdu.Slice(0, pduLength));
            if (reply.Length != 5 || !reply.Slice(0, 5).SequenceEqual(pdu.Slice(0, 5)))
                throw new WireFormatException("Write Multiple Registers reply does not echo address and quantity.");
        }

        /// <summary>
        /// Sends one ADU and returns a copy of the response PDU (the receive buffer is reused by the next caller
        /// as soon as the gate is released). Exception responses become <see cref="ModbusException"/>.
        /// </summary>
        private byte[] Transact(ReadOnlySpan<byte> pdu)
        {
            if (pdu.Length < 1 || pdu.Length > 253) throw new ArgumentOutOfRangeException(nameof(pdu));
            _gate.Wait();
            try
            {
                Socket socket = EnsureConnected();
                ushort transactionId = unchecked(++_transactionId);

                Span<byte> request = stackalloc byte[MaxAdu];
                MbapHeader header = MbapHeader.Create(transactionId, pdu.Length, _unitId);
                MemoryMarshal.Write(request, in header);
                pdu.CopyTo(request.Slice(MbapHeader.Size));
                int requestLength = MbapHeader.Size + pdu.Length;

                int responsePduLength;
                try
                {
                    SocketIO.SendAll(socket, request.Slice(0, requestLength));
                    responsePduLength = ReceiveResponse(socket, transactionId);
                }
                catch (Exception ex) when (ex is SocketException or IOException or WireFormatException)
                {
                    // After a timeout or framing error the stream position is unknown: start over next time.
                    Drop();
                    throw;
                }

                ReadOnlySpan<byte> responsePdu = _response.AsSpan(MbapHeader.Size, responsePduLength);
                var function = (ModbusFunction)pdu[0];
                if (responsePdu[0] == ((byte)function | 0x80))
                {
                    throw new ModbusException(function, responsePdu.Length > 1 ? responsePdu[1] : (byte)0);
                }
                if (responsePdu[0] != (byte)function) throw new WireFormatException($"Reply is for function {responsePdu[0]:x2}.");
                return responsePdu.ToArray();
            }
            finally
            {
                _gate.Release();
            }
        }

        private int ReceiveResponse(Socket socket, ushort transactionId)
        {
            while (true)
            {
                SocketIO.ReceiveExactly(socket, _response.AsSpan(0, MbapHeader.Size));
                (ushort id, ushort protocol, int length, byte unit) = MbapHeader.Read(_response);
                if (protocol != 0) throw new WireFormatException($"MBAP protocol id {protocol} is not Modbus.");
                if (length < 2 || length > 254) throw new WireFormatException($"MBAP length {length} is out of range.");
                int pduLength = length - 1;
                SocketIO.ReceiveExactly(socket, _response.AsSpan(MbapHeader.Size, pduLength));
                if (id == transactionId && unit == _unitId) return pduLength;
                // A late reply to an earlier, timed-out transaction: drop it and keep reading.
            }
        }

        public void Dispose()
        {
            Drop();
            _gate.Dispose();
        }
    }
}
