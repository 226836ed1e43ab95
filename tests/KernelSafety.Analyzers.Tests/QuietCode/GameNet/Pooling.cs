using System;
using System.Threading;

namespace GameNet.Memory
{
    /// <summary>
    /// Lock-free pool with a fixed number of slots. When every slot is empty, Rent creates a new
    /// object; when every slot is full, Return drops the object for the GC.
    /// </summary>
    public sealed class FixedObjectPool<T> where T : class
    {
        private readonly T?[] _slots;
        private readonly Func<T> _factory;
        private readonly Action<T>? _reset;

        public FixedObjectPool(int capacity, Func<T> factory, Action<T>? reset = null)
        {
            if (capacity <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity));
            }

            _slots = new T?[capacity];
            _factory = factory ?? throw new ArgumentNullException(nameof(factory));
            _reset = reset;
        }

        public int Capacity => _slots.Length;

        public T Rent()
        {
            T?[] slots = _slots;
            for (int i = 0; i < slots.Length; i++)
            {
                T? candidate = Volatile.Read(ref slots[i]);
                if (candidate != null && ReferenceEquals(Interlocked.CompareExchange(ref slots[i], null, candidate), candidate))
                {
                    return candidate;
                }
            }

            return _factory();
        }

        public void Return(T item)
        {
            if (item is null)
            {
                throw new ArgumentNullException(nameof(item));
            }

            _reset?.Invoke(item);
            T?[] slots = _slots;
            for (int i = 0; i < slots.Length; i++)
            {
                if (Volatile.Read(ref slots[i]) == null && Interlocked.CompareExchange(ref slots[i], item, null) == null)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A datagram-sized buffer together with the number of bytes that are actually valid.</summary>
    public sealed class PacketBuffer
    {
        public const int Capacity = 1200;

        public byte[] Data { get; } = new byte[Capacity];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Valid => Data.AsSpan(0, Length);

        public ReadOnlyMemory<byte> ValidMemory => Data.AsMemory(0, Length);

        public void SetContents(ReadOnlySpan<byte> source)
        {
            if (source.Length > Capacity)
            {
                throw new ArgumentException($"A datagram holds at most {Capacity} bytes; got {source.Length}.", nameof(source));
            }

            source.CopyTo(Data);
            Length = source.Length;
        }

        /// <summary>Lets a socket receive directly into <see cref="Data"/> and then records how much arrived.</summary>
        public void SetLength(int length)
        {
            if ((uint)length > Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(length));
            }

            Length = length;
        }

        public void Reset() => Length = 0;
    }

    public static class PacketBuffers
    {
        // The pool object is shared, but each PacketBuffer is handed to exactly one owner at a time.
        public static readonly FixedObjectPool<PacketBuffer> Shared =
            new FixedObjectPool<PacketBuffer>(256, () => new PacketBuffer(), b => b.Reset());
    }

    /// <summary>Buckets for pooled byte arrays; the size table is read-only after type initialization.</summary>
    public static class SizeClasses
    {
        private static readonly int[] s_bucketSizes = { 64, 256, 1200, 4096, 16384, 65536 };

        public static int BucketCount => s_bucketSizes.Length;

        public static int SizeOf(int bucket) => s_bucketSizes[bucket];

        /// <summary>Index of the smallest bucket that holds <paramref name="length"/> bytes, or -1.</summary>
        public static int BucketFor(int length)
        {
            ReadOnlySpan<int> sizes = s_bucketSizes;
            for (int i = 0; i < sizes.Length; i++)
            {
                if (length <= sizes[i])
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320).</summary>
    public static class PacketCrc
    {
        // Built once by the type initializer from a local array; never written afterwards.
        private static readonly uint[] s_table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[i] = c;
            }

            return table;
        }

        /// <summary>Computes the CRC; pass a previous result as <paramref name="previous"/> to continue it.</summary>
        public static uint Compute(ReadOnlySpan<byte> data, uint previous = 0)
        {
            uint[] table = s_table;
            uint crc = ~previous;
            foreach (byte b in data)
            {
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return ~crc;
        }
    }

    /// <summary>Per-thread scratch space for encoders that need a few KB temporarily.</summary>
    public static class ThreadScratch
    {
        public const int Size = 64 * 1024;

        [ThreadStatic]
        private static byte[]? t_buffer;

        /// <summary>A buffer private to the calling thread; do not hold it across awaits.</summary>
        public static byte[] Get() => t_buffer ??= new byte[Size];
    }

    /// <summary>Process-wide round-trip-time histogram. All writers and readers take the same lock.</summary>
    public static class RttHistogram
    {
        public const int BucketCount = 32;
        public const int BucketWidthMs = 10;

        private static readonly long[] s_buckets = new long[BucketCount];
        private static readonly object s_sync = new object();

        public static void Record(double rttMs)
        {
            int bucket = rttMs <= 0 ? 0 : (int)Math.Min(rttMs / BucketWidthMs, BucketCount - 1);
            lock (s_sync)
            {
                s_buckets[bucket]++;
            }
        }

        /// <summary>Copies the current counts into destination, which must hold BucketCount entries.</summary>
        public static void CopyTo(Span<long> destination)
        {
            if (destination.Length < BucketCount)
            {
                throw new ArgumentException($"Destination needs {BucketCount} entries.", nameof(destination));
            }

            lock (s_sync)
            {
                s_buckets.AsSpan().CopyTo(destination);
            }
        }

        public static void Reset()
        {
            lock (s_sync)
            {
                Array.Clear(s_buckets, 0, s_buckets.Length);
            }
        }
    }
}
