using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace GameNet.Reliability
{
    /// <summary>
    /// Splits a message into fixed-size fragments (the last one may be shorter).
    /// Fragment datagram: [kind 0xF7][message id u16 BE][index][count][payload].
    /// </summary>
    public static class Fragmenter
    {
        public const byte Kind = 0xF7;
        public const int HeaderSize = 5;
        public const int FragmentSize = 1024;
        public const int MaxFragments = 64;
        public const int MaxMessageSize = FragmentSize * MaxFragments;
        public const int MaxDatagramSize = HeaderSize + FragmentSize;

        public static int FragmentCount(int messageLength)
        {
            if (messageLength <= 0 || messageLength > MaxMessageSize)
            {
                throw new ArgumentOutOfRangeException(nameof(messageLength), messageLength,
                    $"Messages must be between 1 and {MaxMessageSize} bytes.");
            }

            return (messageLength + FragmentSize - 1) / FragmentSize;
        }

        /// <summary>Writes fragment <paramref name="index"/> and returns the datagram length (header + this fragment's bytes).</summary>
        public static int WriteFragment(ReadOnlySpan<byte> message, ushort messageId, int index, Span<byte> destination)
        {
            int count = FragmentCount(message.Length);
            if ((uint)index >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            int offset = index * FragmentSize;
            int chunk = Math.Min(FragmentSize, message.Length - offset);
            int length = HeaderSize + chunk;
            if (destination.Length < length)
            {
                throw new ArgumentException($"Destination needs {length} bytes.", nameof(destination));
            }

            destination[0] = Kind;
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(1, 2), messageId);
            destination[3] = (byte)index;
            destination[4] = (byte)count;
            message.Slice(offset, chunk).CopyTo(destination.Slice(HeaderSize, chunk));
            return length;
        }
    }

    /// <summary>Sends fragmented messages over an existing UDP socket (the socket is owned by the caller).</summary>
    public sealed class FragmentSender
    {
        private readonly Socket _socket;
        private readonly EndPoint _remote;
        private readonly object _gate = new object();
        private readonly byte[] _datagram = new byte[Fragmenter.MaxDatagramSize]; // guarded by _gate
        private int _nextMessageId;

        public FragmentSender(Socket socket, EndPoint remote)
        {
            _socket = socket ?? throw new ArgumentNullException(nameof(socket));
            _remote = remote ?? throw new ArgumentNullException(nameof(remote));
        }

        private ushort NextMessageId() => unchecked((ushort)Interlocked.Increment(ref _nextMessageId));

        /// <summary>Sends every fragment of the message; returns the fragment count.</summary>
        public int Send(ReadOnlySpan<byte> message)
        {
            int count = Fragmenter.FragmentCount(message.Length);
            ushort messageId = NextMessageId();
            lock (_gate)
            {
                for (int i = 0; i < count; i++)
                {
                    int length = Fragmenter.WriteFragment(message, messageId, i, _datagram);
                    int sent = _socket.SendTo(_datagram, 0, length, SocketFlags.None, _remote);
                    if (sent != length)
                    {
                        throw new SocketException((int)SocketError.MessageSize);
                    }
                }
            }

            return count;
        }

        /// <summary>Asynchronous variant; each call rents its own datagram buffer, so calls may overlap.</summary>
        public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
        {
            int count = Fragmenter.FragmentCount(message.Length);
            ushort messageId = NextMessageId();
            byte[] datagram = ArrayPool<byte>.Shared.Rent(Fragmenter.MaxDatagramSize);
            try
            {
                for (int i = 0; i < count; i++)
                {
                    int length = Fragmenter.WriteFragment(message.Span, messageId, i, datagram);
                    int sent = await _socket.SendToAsync(datagram.AsMemory(0, length), SocketFlags.None, _remote, cancellationToken)
                                            .ConfigureAwait(false);
                    if (sent != length)
                    {
                        throw new SocketException((int)SocketError.MessageSize);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(datagram);
            }

            return count;
        }
    }

    public enum ReassemblyStatus
    {
        Incomplete,
        Complete,
        Duplicate,
        Invalid,
        OutputTooSmall,
    }

    /// <summary>
    /// Reassembles fragments produced by <see cref="Fragmenter"/>. A bounded number of messages may be in progress;
    /// the oldest is evicted when a new one needs a slot, and stale ones expire after the timeout.
    /// </summary>
    public sealed class Reassembler
    {
        private sealed class Slot
        {
            public readonly byte[] Buffer = new byte[Fragmenter.MaxMessageSize];
            public bool InUse;
            public ushort MessageId;
            public int FragmentCount;
            public ulong ReceivedMask;
            public int ReceivedCount;
            public int LastFragmentLength;
            public long StartedMs;
        }

        private const int RecentlyCompletedCapacity = 16;

        private readonly object _gate = new object();
        private readonly Slot[] _slots;
        private readonly long _timeoutMs;
        private readonly int[] _recentlyCompleted = new int[RecentlyCompletedCapacity];
        private int _recentlyCompletedNext;

        public Reassembler(int concurrentMessages = 8, long timeoutMs = 1000)
        {
            if (concurrentMessages <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(concurrentMessages));
            }

            _slots = new Slot[concurrentMessages];
            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i] = new Slot();
            }

            _timeoutMs = timeoutMs;
            _recentlyCompleted.AsSpan().Fill(-1);
        }

        /// <summary>
        /// Consumes one fragment datagram. On <see cref="ReassemblyStatus.Complete"/> the whole message has been copied
        /// to the start of <paramref name="output"/> and <paramref name="messageLength"/> is its length; on
        /// <see cref="ReassemblyStatus.OutputTooSmall"/> the message is dropped and messageLength says what was needed.
        /// </summary>
        public ReassemblyStatus Accept(ReadOnlySpan<byte> datagram, long nowMs, Span<byte> output, out int messageLength)
        {
            messageLength = 0;
            if (datagram.Length < Fragmenter.HeaderSize || datagram[0] != Fragmenter.Kind)
            {
                return ReassemblyStatus.Invalid;
            }

            ushort messageId = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(1, 2));
            int index = datagram[3];
            int count = datagram[4];
            ReadOnlySpan<byte> payload = datagram.Slice(Fragmenter.HeaderSize);

            if (count == 0 || count > Fragmenter.MaxFragments || index >= count)
            {
                return ReassemblyStatus.Invalid;
            }

            bool isLast = index == count - 1;
            bool sizeOk = isLast
                ? payload.Length >= 1 && payload.Length <= Fragmenter.FragmentSize
                : payload.Length == Fragmenter.FragmentSize;
            if (!sizeOk)
            {
                return ReassemblyStatus.Invalid;
            }

            lock (_gate)
            {
                if (_recentlyCompleted.AsSpan().IndexOf((int)messageId) >= 0)
                {
                    return ReassemblyStatus.Duplicate;
                }

                ExpireLocked(nowMs);
                Slot slot = FindOrClaimLocked(messageId, count, nowMs);
                if (slot.FragmentCount != count)
                {
                    return ReassemblyStatus.Invalid;
                }

                ulong bit = 1UL << index;
                if ((slot.ReceivedMask & bit) != 0)
                {
                    return ReassemblyStatus.Duplicate;
                }

                // index * FragmentSize + payload.Length <= MaxFragments * FragmentSize == Buffer.Length
                payload.CopyTo(slot.Buffer.AsSpan(index * Fragmenter.FragmentSize, payload.Length));
                slot.ReceivedMask |= bit;
                slot.ReceivedCount++;
                if (isLast)
                {
                    slot.LastFragmentLength = payload.Length;
                }

                if (slot.ReceivedCount < count)
                {
                    return ReassemblyStatus.Incomplete;
                }

                int total = (count - 1) * Fragmenter.FragmentSize + slot.LastFragmentLength;
                slot.InUse = false;
                _recentlyCompleted[_recentlyCompletedNext] = messageId;
                _recentlyCompletedNext = (_recentlyCompletedNext + 1) % RecentlyCompletedCapacity;

                messageLength = total;
                if (total > output.Length)
                {
                    return ReassemblyStatus.OutputTooSmall;
                }

                slot.Buffer.AsSpan(0, total).CopyTo(output);
                return ReassemblyStatus.Complete;
            }
        }

        private void ExpireLocked(long nowMs)
        {
            foreach (Slot slot in _slots)
            {
                if (slot.InUse && nowMs - slot.StartedMs > _timeoutMs)
                {
                    slot.InUse = false;
                }
            }
        }

        private Slot FindOrClaimLocked(ushort messageId, int count, long nowMs)
        {
            Slot? free = null;
            Slot? oldest = null;
            foreach (Slot slot in _slots)
            {
                if (slot.InUse)
                {
                    if (slot.MessageId == messageId)
                    {
                        return slot;
                    }

                    if (oldest == null || slot.StartedMs < oldest.StartedMs)
                    {
                        oldest = slot;
                    }
                }
                else
                {
                    free ??= slot;
                }
            }

            Slot claimed = free ?? oldest!;
            claimed.InUse = true;
            claimed.MessageId = messageId;
            claimed.FragmentCount = count;
            claimed.ReceivedMask = 0;
            claimed.ReceivedCount = 0;
            claimed.LastFragmentLength = 0;
            claimed.StartedMs = nowMs;
            return claimed;
        }
    }
}
