using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Threading;

namespace Quiet.Legacy
{
    /// <summary>
    /// One large byte[] split into equal segments. Pinning one big array instead of thousands of small ones
    /// keeps the heap from fragmenting under many concurrent socket operations. Segments are reference counted
    /// so a received buffer can be handed to several consumers and goes back to the pool after the last release.
    /// </summary>
    public sealed class BufferManager
    {
        private readonly byte[] _slab;
        private readonly int _segmentSize;
        private readonly int _segmentCount;
        private readonly int[] _refCounts;
        private readonly Stack<int> _free;
        private readonly object _sync = new object();

        private static BufferManager s_shared;
        private static readonly object s_sharedLock = new object();

        public BufferManager(int segmentCount, int segmentSize)
        {
            if (segmentCount <= 0) throw new ArgumentOutOfRangeException("segmentCount");
            if (segmentSize <= 0) throw new ArgumentOutOfRangeException("segmentSize");
            if ((long)segmentCount * segmentSize > int.MaxValue)
                throw new ArgumentException("The pool would exceed the maximum array size.");

            _segmentCount = segmentCount;
            _segmentSize = segmentSize;
            _slab = new byte[segmentCount * segmentSize];
            _refCounts = new int[segmentCount];
            _free = new Stack<int>(segmentCount);
            for (int i = segmentCount - 1; i >= 0; i--)
                _free.Push(i);
        }

        /// <summary>The process-wide pool, created on first use.</summary>
        public static BufferManager Shared
        {
            get
            {
                BufferManager shared = Volatile.Read(ref s_shared);
                if (shared != null) return shared;
                lock (s_sharedLock)
                {
                    if (s_shared == null)
                        Volatile.Write(ref s_shared, new BufferManager(512, 8192));
                    return s_shared;
                }
            }
        }

        public int SegmentSize
        {
            get { return _segmentSize; }
        }

        public int FreeSegments
        {
            get { lock (_sync) return _free.Count; }
        }

        /// <summary>Takes a segment from the pool; falls back to a private array when the pool is empty.</summary>
        public BufferLease Rent()
        {
            int index = -1;
            lock (_sync)
            {
                if (_free.Count > 0)
                {
                    index = _free.Pop();
                    _refCounts[index] = 1;
                }
            }

            if (index < 0)
                return new BufferLease(this, -1, new byte[_segmentSize], 0, _segmentSize);

            return new BufferLease(this, index, _slab, index * _segmentSize, _segmentSize);
        }

        internal void AddRef(int index)
        {
            if (index < 0) return;
            lock (_sync)
            {
                if (_refCounts[index] <= 0)
                    throw new ObjectDisposedException("BufferLease", "The segment was already returned to the pool.");
                _refCounts[index]++;
            }
        }

        internal void Release(int index)
        {
            if (index < 0) return;
            lock (_sync)
            {
                int count = _refCounts[index];
                if (count <= 0)
                    throw new InvalidOperationException("Segment " + index + " released more times than it was acquired.");
                _refCounts[index] = count - 1;
                if (count == 1)
                {
                    // Clear before reuse so one connection never sees another connection's bytes.
                    Array.Clear(_slab, index * _segmentSize, _segmentSize);
                    _free.Push(index);
                }
            }
        }

        /// <summary>Assigns a pool segment to a SocketAsyncEventArgs for its whole lifetime.</summary>
        public bool SetBuffer(SocketAsyncEventArgs args)
        {
            if (args == null) throw new ArgumentNullException("args");
            int index;
            lock (_sync)
            {
                if (_free.Count == 0)
                    return false;
                index = _free.Pop();
                _refCounts[index] = 1;
            }
            args.SetBuffer(_slab, index * _segmentSize, _segmentSize);
            return true;
        }

        /// <summary>Returns the segment held by <paramref name="args"/>, if it came from this pool.</summary>
        public void FreeBuffer(SocketAsyncEventArgs args)
        {
            if (args == null) throw new ArgumentNullException("args");
            if (!ReferenceEquals(args.Buffer, _slab))
                return;
            int index = args.Offset / _segmentSize;
            args.SetBuffer(null, 0, 0);
            Release(index);
        }
    }

    /// <summary>
    /// A counted reference to one segment. The holder may write up to <see cref="Capacity"/> bytes at
    /// <see cref="Offset"/> and records how many are valid in <see cref="Count"/>.
    /// </summary>
    public sealed class BufferLease : IDisposable
    {
        private readonly BufferManager _owner;
        private readonly int _index;
        private int _released;

        internal BufferLease(BufferManager owner, int index, byte[] array, int offset, int capacity)
        {
            _owner = owner;
            _index = index;
            Array = array;
            Offset = offset;
            Capacity = capacity;
        }

        public byte[] Array { get; private set; }
        public int Offset { get; private set; }
        public int Capacity { get; private set; }
        public int Count { get; private set; }

        public ArraySegment<byte> Valid
        {
            get { return new ArraySegment<byte>(Array, Offset, Count); }
        }

        /// <summary>Copies as much of the source as fits after the bytes already held; returns how many were taken.</summary>
        public int Append(byte[] source, int sourceOffset, int count)
        {
            Wire.CheckRange(source, sourceOffset, count);
            int take = Math.Min(count, Capacity - Count);
            if (take > 0)
            {
                Buffer.BlockCopy(source, sourceOffset, Array, Offset + Count, take);
                Count += take;
            }
            return take;
        }

        /// <summary>Marks bytes written directly into <see cref="Array"/> (e.g. by a socket receive) as valid.</summary>
        public void Commit(int count)
        {
            if (count < 0 || count > Capacity - Count) throw new ArgumentOutOfRangeException("count");
            Count += count;
        }

        /// <summary>Copies the valid bytes into a new array of exactly that size.</summary>
        public byte[] ToArray()
        {
            var copy = new byte[Count];
            Buffer.BlockCopy(Array, Offset, copy, 0, Count);
            return copy;
        }

        /// <summary>Copies the valid bytes into the caller's buffer, which must be large enough.</summary>
        public int CopyTo(byte[] destination, int destinationOffset)
        {
            if (destination == null) throw new ArgumentNullException("destination");
            if (destinationOffset < 0 || destinationOffset > destination.Length)
                throw new ArgumentOutOfRangeException("destinationOffset");
            if (destination.Length - destinationOffset < Count)
                throw new ArgumentException("Destination is too small for " + Count + " bytes.", "destination");

            System.Array.Copy(Array, Offset, destination, destinationOffset, Count);
            return Count;
        }

        /// <summary>Adds a reference; each call must be matched by one <see cref="Dispose"/> on the returned lease.</summary>
        public BufferLease Share()
        {
            if (Volatile.Read(ref _released) != 0) throw new ObjectDisposedException("BufferLease");
            _owner.AddRef(_index);
            var shared = new BufferLease(_owner, _index, Array, Offset, Capacity);
            shared.Count = Count;
            return shared;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                _owner.Release(_index);
        }
    }

    /// <summary>
    /// Small per-thread scratch arrays for formatting and checksum work. Each thread gets its own array,
    /// so the static field is never shared between concurrent writers.
    /// </summary>
    internal static class ScratchBuffers
    {
        private const int SmallSize = 256;

        [ThreadStatic]
        private static byte[] t_small;

        private static readonly ThreadLocal<byte[]> s_large = new ThreadLocal<byte[]>(() => new byte[16 * 1024]);

        public static byte[] Small
        {
            get { return t_small ?? (t_small = new byte[SmallSize]); }
        }

        public static byte[] Large
        {
            get { return s_large.Value; }
        }

        /// <summary>Formats an unsigned value as decimal ASCII into the thread's scratch buffer.</summary>
        public static int FormatDecimal(ulong value, out byte[] buffer)
        {
            buffer = Small;
            int pos = buffer.Length;
            do
            {
                buffer[--pos] = (byte)('0' + (int)(value % 10));
                value /= 10;
            } while (value != 0);

            int length = buffer.Length - pos;
            Buffer.BlockCopy(buffer, pos, buffer, 0, length);
            return length;
        }
    }
}
