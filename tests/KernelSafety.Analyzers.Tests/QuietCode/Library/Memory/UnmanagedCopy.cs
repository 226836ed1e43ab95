using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Quiet.Net.Memory
{
    /// <summary>
    /// Bounds-checked copies of unmanaged values between arrays, spans, byte buffers and native memory.
    /// Raw byte views use the machine's native byte order and are meant for in-process or same-machine use;
    /// the *BigEndian helpers are the ones to use for wire formats.
    /// </summary>
    public static class UnmanagedCopy
    {
        private const int ScratchSize = 4096;

        // One scratch buffer per thread: never shared between concurrent callers.
        [ThreadStatic]
        private static byte[]? t_scratch;

        /// <summary>Copies all of <paramref name="source"/>; the destination must be at least as long.</summary>
        public static int CopyElements<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged
        {
            if (source.Length > destination.Length)
            {
                throw new ArgumentException(
                    $"The destination holds {destination.Length} elements but {source.Length} are to be copied.",
                    nameof(destination));
            }

            source.CopyTo(destination);
            return source.Length;
        }

        /// <summary>
        /// Copies up to <paramref name="count"/> elements, fewer if either array ends first, and returns how many
        /// were copied.
        /// </summary>
        public static int CopyAtMost<T>(T[] source, int sourceIndex, T[] destination, int destinationIndex, int count)
            where T : unmanaged
        {
            ArgumentNullException.ThrowIfNull(source);
            ArgumentNullException.ThrowIfNull(destination);
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            if ((uint)sourceIndex > (uint)source.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(sourceIndex));
            }

            if ((uint)destinationIndex > (uint)destination.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(destinationIndex));
            }

            int n = Math.Min(count, Math.Min(source.Length - sourceIndex, destination.Length - destinationIndex));
            Array.Copy(source, sourceIndex, destination, destinationIndex, n);
            return n;
        }

        /// <summary>Returns a new array with the raw (native-endian) bytes of <paramref name="values"/>.</summary>
        public static byte[] ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged
        {
            byte[] result = new byte[checked(values.Length * Unsafe.SizeOf<T>())];
            MemoryMarshal.AsBytes(values).CopyTo(result);
            return result;
        }

        /// <summary>Rebuilds values from bytes produced by <see cref="ToBytes{T}"/>.</summary>
        public static T[] FromBytes<T>(ReadOnlySpan<byte> bytes) where T : unmanaged
        {
            int size = Unsafe.SizeOf<T>();
            if (bytes.Length % size != 0)
            {
                throw new ArgumentException(
                    $"{bytes.Length} bytes is not a whole number of {size}-byte {typeof(T).Name} values.", nameof(bytes));
            }

            var result = new T[bytes.Length / size];
            bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }

        /// <summary>Reads one value at <paramref name="offset"/>, which need not be aligned.</summary>
        public static T ReadAt<T>(ReadOnlySpan<byte> source, int offset) where T : unmanaged
        {
            if ((uint)offset > (uint)source.Length || source.Length - offset < Unsafe.SizeOf<T>())
            {
                throw new ArgumentOutOfRangeException(nameof(offset),
                    $"A {Unsafe.SizeOf<T>()}-byte value at offset {offset} does not fit in {source.Length} bytes.");
            }

            return MemoryMarshal.Read<T>(source.Slice(offset));
        }

        /// <summary>Writes the raw bytes of one value to the start of <paramref name="destination"/>.</summary>
        public static int WriteRaw<T>(Span<byte> destination, in T value) where T : unmanaged
        {
            int size = Unsafe.SizeOf<T>();
            if (destination.Length < size)
            {
                throw new ArgumentException($"The destination needs {size} bytes.", nameof(destination));
            }

            Unsafe.CopyBlockUnaligned(
                ref MemoryMarshal.GetReference(destination),
                ref Unsafe.As<T, byte>(ref Unsafe.AsRef(in value)),
                (uint)size);
            return size;
        }

        /// <summary>Copies values into native memory of a known size.</summary>
        public static unsafe void CopyToNative<T>(ReadOnlySpan<T> source, void* destination, nuint destinationSizeInBytes)
            where T : unmanaged
        {
            ulong bytes = (ulong)source.Length * (ulong)sizeof(T);
            if (bytes > destinationSizeInBytes)
            {
                throw new ArgumentException(
                    $"{bytes} bytes do not fit in a native block of {destinationSizeInBytes} bytes.", nameof(source));
            }

            if (bytes == 0)
            {
                return;
            }

            ArgumentNullException.ThrowIfNull(destination);
            fixed (T* from = source)
            {
                Buffer.MemoryCopy(from, destination, destinationSizeInBytes, bytes);
            }
        }

        /// <summary>
        /// Copies bytes out of a native block of <paramref name="sourceLength"/> bytes into an array, as many as fit.
        /// </summary>
        public static int CopyFromNative(IntPtr source, int sourceLength, byte[] destination, int destinationIndex)
        {
            ArgumentNullException.ThrowIfNull(destination);
            ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
            if ((uint)destinationIndex > (uint)destination.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(destinationIndex));
            }

            int count = Math.Min(sourceLength, destination.Length - destinationIndex);
            if (count == 0)
            {
                return 0;
            }

            if (source == IntPtr.Zero)
            {
                throw new ArgumentNullException(nameof(source));
            }

            Marshal.Copy(source, destination, destinationIndex, count);
            return count;
        }

        /// <summary>Writes 32-bit integers to a stream in big-endian order, in chunks of a per-thread scratch buffer.</summary>
        public static void WriteInt32BigEndian(Stream stream, ReadOnlySpan<int> values)
        {
            ArgumentNullException.ThrowIfNull(stream);

            // Take the buffer out of the slot while it is in use, so that a stream whose Write calls back into
            // this method on the same thread gets a buffer of its own instead of overwriting ours.
            byte[] scratch = t_scratch ?? new byte[ScratchSize];
            t_scratch = null;
            try
            {
                Span<int> chunkView = MemoryMarshal.Cast<byte, int>(scratch.AsSpan());
                while (!values.IsEmpty)
                {
                    int take = Math.Min(values.Length, chunkView.Length);
                    if (BitConverter.IsLittleEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(values.Slice(0, take), chunkView.Slice(0, take));
                    }
                    else
                    {
                        values.Slice(0, take).CopyTo(chunkView);
                    }

                    stream.Write(scratch, 0, take * sizeof(int));
                    values = values.Slice(take);
                }
            }
            finally
            {
                t_scratch = scratch;
            }
        }

        /// <summary>Reads exactly <c>destination.Length</c> big-endian 32-bit integers.</summary>
        public static void ReadInt32BigEndian(Stream stream, Span<int> destination)
        {
            ArgumentNullException.ThrowIfNull(stream);
            stream.ReadExactly(MemoryMarshal.AsBytes(destination));
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(destination, destination);
            }
        }
    }

    /// <summary>A fixed-capacity block of native memory holding values of <typeparamref name="T"/>.</summary>
    public sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
    {
        private T* _pointer;

        public NativeBuffer(int length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            Length = length;
            _pointer = (T*)NativeMemory.AllocZeroed((nuint)Math.Max(length, 1), (nuint)sizeof(T));
        }

        public int Length { get; }

        public nuint ByteLength => (nuint)Length * (nuint)sizeof(T);

        public T this[int index]
        {
            get
            {
                CheckIndex(index);
                return _pointer[index];
            }

            set
            {
                CheckIndex(index);
                _pointer[index] = value;
            }
        }

        public Span<T> AsSpan()
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return new Span<T>(_pointer, Length);
        }

        /// <summary>Copies <paramref name="source"/> in at <paramref name="index"/>; it must fit entirely.</summary>
        public void Write(int index, ReadOnlySpan<T> source)
        {
            if ((uint)index > (uint)Length || source.Length > Length - index)
            {
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"{source.Length} elements at index {index} do not fit in a buffer of {Length}.");
            }

            source.CopyTo(AsSpan().Slice(index));
        }

        /// <summary>Copies as many elements as fit from <paramref name="index"/> into <paramref name="destination"/>.</summary>
        public int Read(int index, Span<T> destination)
        {
            if ((uint)index > (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            int count = Math.Min(destination.Length, Length - index);
            AsSpan().Slice(index, count).CopyTo(destination);
            return count;
        }

        /// <summary>Copies the whole content into another buffer that is at least as large.</summary>
        public void CopyTo(NativeBuffer<T> destination)
        {
            ArgumentNullException.ThrowIfNull(destination);
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            ObjectDisposedException.ThrowIf(destination._pointer == null, destination);
            if (destination.Length < Length)
            {
                throw new ArgumentException("The destination buffer is smaller than the source.", nameof(destination));
            }

            NativeMemory.Copy(_pointer, destination._pointer, ByteLength);
        }

        public void Dispose()
        {
            T* pointer = _pointer;
            _pointer = null;
            if (pointer != null)
            {
                NativeMemory.Free(pointer);
            }
        }

        private void CheckIndex(int index)
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
        }
    }
}
