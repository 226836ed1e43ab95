using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using GameNet.Serialization;

namespace GameNet.Snapshots
{
    /// <summary>
    /// Blittable per-entity state as kept by the simulation. The in-memory layout is native-endian and never sent
    /// as-is; <see cref="WriteCanonical"/> produces the little-endian byte form that deltas are computed over.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct EntityState
    {
        public const int NameCapacity = 32;
        public const int CustomCapacity = 64;
        private const int FixedFieldsSize = 25;
        public const int CanonicalSize = FixedFieldsSize + NameCapacity + CustomCapacity;

        public uint EntityId;
        public int PositionX;   // millimetres
        public int PositionY;
        public int PositionZ;
        public short Yaw;       // hundredths of a degree
        public short Pitch;
        public ushort Health;
        public byte Flags;
        public byte NameLength;
        public byte CustomLength;
        public fixed byte Name[NameCapacity];
        public fixed byte Custom[CustomCapacity];

        /// <summary>Stores as many whole characters of the name as fit in 32 UTF-8 bytes and zeroes the rest.</summary>
        public void SetName(string name)
        {
            fixed (byte* p = Name)
            {
                var destination = new Span<byte>(p, NameCapacity);
                Utf8.FromUtf16(name, destination, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
                destination.Slice(written).Clear();
                NameLength = (byte)written;
            }
        }

        /// <summary>Stores an already-encoded UTF-8 name; rejects names longer than the fixed buffer.</summary>
        public void SetNameUtf8(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length > NameCapacity)
            {
                throw new ArgumentException($"Names are limited to {NameCapacity} UTF-8 bytes.", nameof(utf8));
            }

            fixed (byte* source = utf8)
            fixed (byte* destination = Name)
            {
                Buffer.MemoryCopy(source, destination, NameCapacity, utf8.Length);
                new Span<byte>(destination + utf8.Length, NameCapacity - utf8.Length).Clear();
            }

            NameLength = (byte)utf8.Length;
        }

        public readonly string GetName()
        {
            fixed (byte* p = Name)
            {
                return Encoding.UTF8.GetString(p, Math.Min((int)NameLength, NameCapacity));
            }
        }

        public void SetCustom(ReadOnlySpan<byte> data)
        {
            if (data.Length > CustomCapacity)
            {
                throw new ArgumentException($"Custom data is limited to {CustomCapacity} bytes.", nameof(data));
            }

            fixed (byte* destination = Custom)
            {
                Unsafe.CopyBlockUnaligned(ref *destination, ref MemoryMarshal.GetReference(data), (uint)data.Length);
                new Span<byte>(destination + data.Length, CustomCapacity - data.Length).Clear();
            }

            CustomLength = (byte)data.Length;
        }

        /// <summary>Copies the valid custom bytes into destination and returns how many there were.</summary>
        public readonly int CopyCustomTo(Span<byte> destination)
        {
            int length = Math.Min((int)CustomLength, CustomCapacity);
            if (destination.Length < length)
            {
                throw new ArgumentException($"Destination needs {length} bytes.", nameof(destination));
            }

            fixed (byte* source = Custom)
            {
                new ReadOnlySpan<byte>(source, length).CopyTo(destination);
            }

            return length;
        }

        public readonly void WriteCanonical(Span<byte> destination)
        {
            if (destination.Length < CanonicalSize)
            {
                throw new ArgumentException($"Destination needs {CanonicalSize} bytes.", nameof(destination));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(0, 4), EntityId);
            BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(4, 4), PositionX);
            BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(8, 4), PositionY);
            BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(12, 4), PositionZ);
            BinaryPrimitives.WriteInt16LittleEndian(destination.Slice(16, 2), Yaw);
            BinaryPrimitives.WriteInt16LittleEndian(destination.Slice(18, 2), Pitch);
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(20, 2), Health);
            destination[22] = Flags;
            destination[23] = NameLength;
            destination[24] = CustomLength;
            fixed (byte* name = Name)
            fixed (byte* custom = Custom)
            {
                new ReadOnlySpan<byte>(name, NameCapacity).CopyTo(destination.Slice(FixedFieldsSize, NameCapacity));
                new ReadOnlySpan<byte>(custom, CustomCapacity).CopyTo(destination.Slice(FixedFieldsSize + NameCapacity, CustomCapacity));
            }
        }

        public static bool TryReadCanonical(ReadOnlySpan<byte> source, out EntityState state)
        {
            state = default;
            if (source.Length < CanonicalSize)
            {
                return false;
            }

            byte nameLength = source[23];
            byte customLength = source[24];
            if (nameLength > NameCapacity || customLength > CustomCapacity)
            {
                return false;
            }

            state.EntityId = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(0, 4));
            state.PositionX = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4, 4));
            state.PositionY = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(8, 4));
            state.PositionZ = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(12, 4));
            state.Yaw = BinaryPrimitives.ReadInt16LittleEndian(source.Slice(16, 2));
            state.Pitch = BinaryPrimitives.ReadInt16LittleEndian(source.Slice(18, 2));
            state.Health = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(20, 2));
            state.Flags = source[22];
            state.NameLength = nameLength;
            state.CustomLength = customLength;
            fixed (byte* name = state.Name)
            fixed (byte* custom = state.Custom)
            {
                source.Slice(FixedFieldsSize, NameCapacity).CopyTo(new Span<byte>(name, NameCapacity));
                source.Slice(FixedFieldsSize + NameCapacity, CustomCapacity).CopyTo(new Span<byte>(custom, CustomCapacity));
            }

            return true;
        }
    }

    /// <summary>
    /// Delta of one entity against a baseline both sides already hold. The canonical bytes are cut into 8-byte
    /// blocks (the last one shorter); the output is one changed-bit per block, then the bytes of changed blocks.
    /// </summary>
    public static class SnapshotDelta
    {
        public const int BlockSize = 8;
        public const int BlockCount = (EntityState.CanonicalSize + BlockSize - 1) / BlockSize;
        public const int MaxEncodedSize = (BlockCount + 7) / 8 + EntityState.CanonicalSize;

        private static int BlockLength(int block) => Math.Min(BlockSize, EntityState.CanonicalSize - block * BlockSize);

        public static int Encode(in EntityState baseline, in EntityState current, Span<byte> destination)
        {
            if (destination.Length < MaxEncodedSize)
            {
                throw new ArgumentException($"Destination needs {MaxEncodedSize} bytes.", nameof(destination));
            }

            Span<byte> baseBytes = stackalloc byte[EntityState.CanonicalSize];
            Span<byte> currentBytes = stackalloc byte[EntityState.CanonicalSize];
            baseline.WriteCanonical(baseBytes);
            current.WriteCanonical(currentBytes);

            ulong changed = 0;
            for (int block = 0; block < BlockCount; block++)
            {
                int offset = block * BlockSize;
                int length = BlockLength(block);
                if (!currentBytes.Slice(offset, length).SequenceEqual(baseBytes.Slice(offset, length)))
                {
                    changed |= 1UL << block;
                }
            }

            var writer = new BitWriter(destination);
            for (int block = 0; block < BlockCount; block++)
            {
                writer.WriteBool((changed & (1UL << block)) != 0);
            }

            for (int block = 0; block < BlockCount; block++)
            {
                if ((changed & (1UL << block)) != 0)
                {
                    writer.WriteBytes(currentBytes.Slice(block * BlockSize, BlockLength(block)));
                }
            }

            return writer.Finish();
        }

        public static bool TryApply(in EntityState baseline, ReadOnlySpan<byte> delta, out EntityState result)
        {
            result = default;
            Span<byte> bytes = stackalloc byte[EntityState.CanonicalSize];
            baseline.WriteCanonical(bytes);

            var reader = new BitReader(delta);
            ulong changed = 0;
            for (int block = 0; block < BlockCount; block++)
            {
                if (!reader.TryReadBool(out bool isChanged))
                {
                    return false;
                }

                if (isChanged)
                {
                    changed |= 1UL << block;
                }
            }

            for (int block = 0; block < BlockCount; block++)
            {
                if ((changed & (1UL << block)) != 0 && !reader.TryReadBytes(bytes.Slice(block * BlockSize, BlockLength(block))))
                {
                    return false;
                }
            }

            return EntityState.TryReadCanonical(bytes, out result);
        }
    }

    /// <summary>
    /// Ring of past ticks in one unmanaged block, so old snapshots can serve as delta baselines without GC churn.
    /// Single-threaded: owned by the simulation thread.
    /// </summary>
    public sealed unsafe class NativeSnapshotHistory : IDisposable
    {
        private readonly int _capacity;
        private readonly int _entitiesPerTick;
        private readonly uint[] _ticks;
        private readonly int[] _counts;
        private readonly bool[] _valid;
        private EntityState* _storage;

        public NativeSnapshotHistory(int capacity, int entitiesPerTick)
        {
            if (capacity <= 0 || entitiesPerTick <= 0)
            {
                throw new ArgumentOutOfRangeException(capacity <= 0 ? nameof(capacity) : nameof(entitiesPerTick));
            }

            _capacity = capacity;
            _entitiesPerTick = entitiesPerTick;
            _ticks = new uint[capacity];
            _counts = new int[capacity];
            _valid = new bool[capacity];
            nuint bytes = checked((nuint)capacity * (nuint)entitiesPerTick * (nuint)sizeof(EntityState));
            _storage = (EntityState*)NativeMemory.AllocZeroed(bytes);
        }

        private EntityState* SlotStart(int slot)
        {
            if (_storage == null)
            {
                throw new ObjectDisposedException(nameof(NativeSnapshotHistory));
            }

            return _storage + (nint)slot * _entitiesPerTick;
        }

        public void Store(uint tick, ReadOnlySpan<EntityState> entities)
        {
            if (entities.Length > _entitiesPerTick)
            {
                throw new ArgumentException($"At most {_entitiesPerTick} entities per tick.", nameof(entities));
            }

            int slot = (int)(tick % (uint)_capacity);
            EntityState* destination = SlotStart(slot);
            long destinationBytes = (long)_entitiesPerTick * sizeof(EntityState);
            long sourceBytes = (long)entities.Length * sizeof(EntityState);
            fixed (EntityState* source = entities)
            {
                Buffer.MemoryCopy(source, destination, destinationBytes, sourceBytes);
            }

            _ticks[slot] = tick;
            _counts[slot] = entities.Length;
            _valid[slot] = true;
        }

        public bool TryGet(uint tick, int index, out EntityState state)
        {
            state = default;
            int slot = (int)(tick % (uint)_capacity);
            if (!_valid[slot] || _ticks[slot] != tick || (uint)index >= (uint)_counts[slot])
            {
                return false;
            }

            EntityState* source = SlotStart(slot) + index;
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<EntityState, byte>(ref state), ref Unsafe.AsRef<byte>(source), (uint)sizeof(EntityState));
            return true;
        }

        /// <summary>Copies a stored tick into destination; returns the entity count, or -1 if the tick is not held.</summary>
        public int CopyTick(uint tick, Span<EntityState> destination)
        {
            int slot = (int)(tick % (uint)_capacity);
            if (!_valid[slot] || _ticks[slot] != tick)
            {
                return -1;
            }

            int count = _counts[slot];
            if (destination.Length < count)
            {
                throw new ArgumentException($"Destination needs {count} entries.", nameof(destination));
            }

            new ReadOnlySpan<EntityState>(SlotStart(slot), count).CopyTo(destination);
            return count;
        }

        public void Dispose()
        {
            if (_storage != null)
            {
                NativeMemory.Free(_storage);
                _storage = null;
            }
        }
    }
}
