using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using GameNet.Memory;

namespace GameNet.Reliability
{
    /// <summary>16-bit sequence arithmetic that survives wrap-around.</summary>
    public static class SequenceMath
    {
        /// <summary>Signed distance candidate - reference, in [-32768, 32767].</summary>
        public static int Distance(ushort candidate, ushort reference) => unchecked((short)(candidate - reference));

        public static bool IsNewer(ushort candidate, ushort reference) => Distance(candidate, reference) > 0;
    }

    /// <summary>
    /// Ring buffer indexed by 16-bit sequence number. The size is a power of two so that
    /// (sequence &amp; mask) maps every sequence to the same slot before and after the wrap at 65536.
    /// </summary>
    public sealed class SequenceBuffer<T> where T : struct
    {
        private const uint Empty = uint.MaxValue;

        private readonly T[] _entries;
        private readonly uint[] _sequences;
        private readonly int _mask;
        private ushort _newest;
        private bool _hasNewest;

        public SequenceBuffer(int size)
        {
            if (size < 2 || size > 4096 || (size & (size - 1)) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(size), size, "Size must be a power of two between 2 and 4096.");
            }

            _entries = new T[size];
            _sequences = new uint[size];
            _sequences.AsSpan().Fill(Empty);
            _mask = size - 1;
        }

        public int Size => _entries.Length;

        public bool HasNewest => _hasNewest;

        public ushort Newest => _newest;

        public int IndexOf(ushort sequence) => sequence & _mask;

        public bool Contains(ushort sequence) => _sequences[sequence & _mask] == sequence;

        public bool TryGetOccupant(int index, out ushort sequence)
        {
            uint stored = _sequences[index];
            sequence = (ushort)(stored & 0xFFFF);
            return stored != Empty;
        }

        public ref T EntryAt(int index) => ref _entries[index];

        /// <summary>
        /// Claims the slot for <paramref name="sequence"/> and resets its entry. Moving the newest sequence forward
        /// forgets every slot it skipped. Fails for a sequence that is older than the whole window.
        /// </summary>
        public bool TryInsert(ushort sequence, out int index)
        {
            if (!_hasNewest)
            {
                _hasNewest = true;
                _newest = sequence;
            }
            else
            {
                int distance = SequenceMath.Distance(sequence, _newest);
                if (distance > 0)
                {
                    if (distance >= _entries.Length)
                    {
                        _sequences.AsSpan().Fill(Empty);
                    }
                    else
                    {
                        for (int i = 1; i < distance; i++)
                        {
                            _sequences[(_newest + i) & _mask] = Empty;
                        }
                    }

                    _newest = sequence;
                }
                else if (-distance >= _entries.Length)
                {
                    index = -1;
                    return false;
                }
            }

            index = sequence & _mask;
            _sequences[index] = sequence;
            _entries[index] = default;
            return true;
        }
    }

    public delegate void PayloadHandler(ushort sequence, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Reliable-unordered channel over a bound, unconnected UDP socket. Every datagram carries the newest
    /// sequence received plus a 32-bit field acknowledging the 32 before it. At most <see cref="SendWindow"/>
    /// packets are unacknowledged at once, so every packet still in flight is always inside the range an ack
    /// field covers, and the receiver's duplicate filter (256 sequences) always spans every possible resend.
    /// Datagram: [flags|type][seq u16][ack u16][ack bits u32][payload][crc32 u32], all big-endian.
    /// </summary>
    public sealed class ReliableEndpoint
    {
        public const int MaxDatagramSize = 1200;
        public const int HeaderSize = 9;
        public const int TrailerSize = 4;
        public const int MaxPayloadSize = MaxDatagramSize - HeaderSize - TrailerSize;
        public const int SendWindow = 32;
        public const int MaxAttempts = 20;
        private const int ReceiveWindow = 256;
        private const double MinResendMs = 50;

        private const byte TypeData = 1;
        private const byte TypeAck = 2;
        private const byte FlagHasAck = 0x80;

        private struct SentPacket
        {
            public double FirstSendMs;
            public double LastSendMs;
            public int Length;
            public int Attempts;
            public bool Acked;
        }

        private struct ReceivedPacket
        {
            public double ReceivedMs;
        }

        private readonly Socket _socket;
        private readonly IPEndPoint _remote;
        private readonly IPEndPoint _anyEndPoint;
        private readonly uint _protocolId;
        private readonly PayloadHandler _onPayload;

        private readonly object _gate = new object();
        private readonly SequenceBuffer<SentPacket> _sent = new SequenceBuffer<SentPacket>(SendWindow);
        private readonly byte[][] _sentPayloads = new byte[SendWindow][];
        private readonly SequenceBuffer<ReceivedPacket> _received = new SequenceBuffer<ReceivedPacket>(ReceiveWindow);
        private readonly byte[] _datagram = new byte[MaxDatagramSize];         // outgoing; guarded by _gate

        private readonly object _receiveGate = new object();
        private readonly byte[] _receiveBuffer = new byte[MaxDatagramSize * 2]; // incoming; guarded by _receiveGate

        private ushort _nextSequence;
        private bool _ackPending;
        private double _smoothedRttMs = 100;

        public ReliableEndpoint(Socket socket, IPEndPoint remote, uint protocolId, PayloadHandler onPayload)
        {
            _socket = socket ?? throw new ArgumentNullException(nameof(socket));
            _remote = remote ?? throw new ArgumentNullException(nameof(remote));
            _onPayload = onPayload ?? throw new ArgumentNullException(nameof(onPayload));
            if (socket.SocketType != SocketType.Dgram)
            {
                throw new ArgumentException("A datagram socket is required.", nameof(socket));
            }

            _protocolId = protocolId;
            _anyEndPoint = new IPEndPoint(
                remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            for (int i = 0; i < _sentPayloads.Length; i++)
            {
                _sentPayloads[i] = new byte[MaxPayloadSize];
            }
        }

        public double SmoothedRttMs { get { lock (_gate) { return _smoothedRttMs; } } }

        public bool IsConnectionLost { get; private set; }

        public long PacketsSent { get; private set; }

        public long PacketsResent { get; private set; }

        public long PacketsAcked { get; private set; }

        public long PacketsDelivered { get; private set; }

        public long DuplicatesDropped { get; private set; }

        /// <summary>Queues and transmits a payload. Returns false when the send window is full (try again later).</summary>
        public bool TrySend(ReadOnlySpan<byte> payload, double nowMs)
        {
            if (payload.Length > MaxPayloadSize)
            {
                throw new ArgumentException($"Payload of {payload.Length} bytes exceeds {MaxPayloadSize}; fragment it first.", nameof(payload));
            }

            lock (_gate)
            {
                if (IsConnectionLost)
                {
                    throw new InvalidOperationException("The remote stopped acknowledging packets.");
                }

                ushort sequence = _nextSequence;
                int slot = _sent.IndexOf(sequence);
                if (_sent.TryGetOccupant(slot, out _) && !_sent.EntryAt(slot).Acked)
                {
                    return false; // sequence - SendWindow is still in flight
                }

                if (!_sent.TryInsert(sequence, out int index))
                {
                    throw new InvalidOperationException("Outgoing sequence numbers must advance monotonically.");
                }

                _nextSequence = unchecked((ushort)(sequence + 1));

                byte[] stored = _sentPayloads[index];
                payload.CopyTo(stored);
                ref SentPacket entry = ref _sent.EntryAt(index);
                entry.Length = payload.Length;
                entry.FirstSendMs = nowMs;
                entry.LastSendMs = nowMs;
                entry.Attempts = 1;

                TransmitLocked(TypeData, sequence, stored.AsSpan(0, payload.Length));
                PacketsSent++;
                return true;
            }
        }

        /// <summary>Resends overdue packets and flushes a standalone ack if the remote is waiting for one.</summary>
        public void Update(double nowMs)
        {
            lock (_gate)
            {
                double timeout = Math.Max(MinResendMs, _smoothedRttMs * 2);
                ushort oldest = unchecked((ushort)(_nextSequence - SendWindow));
                for (int i = 0; i < SendWindow; i++)
                {
                    ushort sequence = unchecked((ushort)(oldest + i));
                    if (!_sent.Contains(sequence))
                    {
                        continue;
                    }

                    int index = _sent.IndexOf(sequence);
                    ref SentPacket entry = ref _sent.EntryAt(index);
                    if (entry.Acked || nowMs - entry.LastSendMs < timeout)
                    {
                        continue;
                    }

                    if (entry.Attempts >= MaxAttempts)
                    {
                        IsConnectionLost = true;
                        return;
                    }

                    entry.Attempts++;
                    entry.LastSendMs = nowMs;
                    TransmitLocked(TypeData, sequence, _sentPayloads[index].AsSpan(0, entry.Length));
                    PacketsResent++;
                }

                if (_ackPending)
                {
                    TransmitLocked(TypeAck, 0, ReadOnlySpan<byte>.Empty);
                }
            }
        }

        /// <summary>Drains datagrams already queued on the socket; returns how many were accepted.</summary>
        public int Poll(double nowMs)
        {
            int accepted = 0;
            lock (_receiveGate)
            {
                while (_socket.Available > 0)
                {
                    EndPoint from = _anyEndPoint;
                    int received;
                    try
                    {
                        received = _socket.ReceiveFrom(_receiveBuffer, 0, _receiveBuffer.Length, SocketFlags.None, ref from);
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset
                                                     || ex.SocketErrorCode == SocketError.MessageSize)
                    {
                        continue; // ICMP unreachable or an oversized datagram: that datagram is gone, keep draining
                    }

                    if (!_remote.Equals(from))
                    {
                        continue;
                    }

                    if (ProcessDatagram(_receiveBuffer.AsSpan(0, received), nowMs))
                    {
                        accepted++;
                    }
                }
            }

            return accepted;
        }

        /// <summary>Validates and consumes one datagram from the remote. Returns false if it was rejected.</summary>
        public bool ProcessDatagram(ReadOnlySpan<byte> datagram, double nowMs)
        {
            if (datagram.Length < HeaderSize + TrailerSize || datagram.Length > MaxDatagramSize)
            {
                return false;
            }

            int bodyLength = datagram.Length - TrailerSize;
            uint expectedCrc = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(bodyLength, TrailerSize));
            if (ComputeCrc(_protocolId, datagram.Slice(0, bodyLength)) != expectedCrc)
            {
                return false;
            }

            byte flags = datagram[0];
            int type = flags & 0x0F;
            bool hasAck = (flags & FlagHasAck) != 0;
            ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(1, 2));
            ushort ack = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(3, 2));
            uint ackBits = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(5, 4));
            ReadOnlySpan<byte> payload = datagram.Slice(HeaderSize, bodyLength - HeaderSize);

            if ((type != TypeData && type != TypeAck) || (type == TypeAck && !payload.IsEmpty))
            {
                return false;
            }

            bool deliver = false;
            lock (_gate)
            {
                if (hasAck)
                {
                    ProcessAcksLocked(ack, ackBits, nowMs);
                }

                if (type == TypeData)
                {
                    _ackPending = true; // ack duplicates too: our previous ack may have been lost
                    if (_received.Contains(sequence))
                    {
                        DuplicatesDropped++;
                    }
                    else if (_received.TryInsert(sequence, out int index))
                    {
                        _received.EntryAt(index).ReceivedMs = nowMs;
                        PacketsDelivered++;
                        deliver = true;
                    }
                    else
                    {
                        DuplicatesDropped++; // older than the window: necessarily a very late copy
                    }
                }
            }

            if (deliver)
            {
                _onPayload(sequence, payload);
            }

            return true;
        }

        /// <summary>Serializes one datagram. Returns its exact length, which is what must be transmitted.</summary>
        public static int WriteDatagram(Span<byte> destination, byte flagsAndType, ushort sequence, ushort ack, uint ackBits,
                                        ReadOnlySpan<byte> payload, uint protocolId)
        {
            if (payload.Length > MaxPayloadSize)
            {
                throw new ArgumentException("Payload too large.", nameof(payload));
            }

            int length = HeaderSize + payload.Length + TrailerSize;
            if (destination.Length < length)
            {
                throw new ArgumentException($"Destination needs {length} bytes.", nameof(destination));
            }

            destination[0] = flagsAndType;
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(1, 2), sequence);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(3, 2), ack);
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(5, 4), ackBits);
            payload.CopyTo(destination.Slice(HeaderSize, payload.Length));

            int bodyLength = HeaderSize + payload.Length;
            uint crc = ComputeCrc(protocolId, destination.Slice(0, bodyLength));
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(bodyLength, TrailerSize), crc);
            return length;
        }

        private static uint ComputeCrc(uint protocolId, ReadOnlySpan<byte> body)
        {
            Span<byte> id = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(id, protocolId);
            return PacketCrc.Compute(body, PacketCrc.Compute(id));
        }

        private void TransmitLocked(byte type, ushort sequence, ReadOnlySpan<byte> payload)
        {
            byte flags = type;
            ushort ack = 0;
            uint ackBits = 0;
            if (_received.HasNewest)
            {
                flags |= FlagHasAck;
                ack = _received.Newest;
                for (int i = 0; i < 32; i++)
                {
                    if (_received.Contains(unchecked((ushort)(ack - 1 - i))))
                    {
                        ackBits |= 1u << i;
                    }
                }
            }

            int length = WriteDatagram(_datagram, flags, sequence, ack, ackBits, payload, _protocolId);
            int sent = _socket.SendTo(_datagram, 0, length, SocketFlags.None, _remote);
            if (sent != length)
            {
                throw new SocketException((int)SocketError.MessageSize);
            }

            if ((flags & FlagHasAck) != 0)
            {
                _ackPending = false;
            }
        }

        private void ProcessAcksLocked(ushort ack, uint ackBits, double nowMs)
        {
            AckLocked(ack, nowMs);
            for (int i = 0; i < 32; i++)
            {
                if ((ackBits & (1u << i)) != 0)
                {
                    AckLocked(unchecked((ushort)(ack - 1 - i)), nowMs);
                }
            }
        }

        private void AckLocked(ushort sequence, double nowMs)
        {
            if (!_sent.Contains(sequence))
            {
                return;
            }

            ref SentPacket entry = ref _sent.EntryAt(_sent.IndexOf(sequence));
            if (entry.Acked)
            {
                return;
            }

            entry.Acked = true;
            PacketsAcked++;
            if (entry.Attempts == 1)
            {
                // Karn: only packets sent once give an unambiguous round-trip sample.
                double sample = Math.Max(0, nowMs - entry.FirstSendMs);
                _smoothedRttMs += (sample - _smoothedRttMs) * 0.125;
                RttHistogram.Record(sample);
            }
        }
    }
}
