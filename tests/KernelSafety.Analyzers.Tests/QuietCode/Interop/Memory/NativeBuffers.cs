using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Quiet.Interop.Native;

namespace Quiet.Interop.Memory;

/// <summary>A fixed-size block of unmanaged memory from Marshal.AllocHGlobal with bounds-checked copies in and out.</summary>
public sealed unsafe class NativeBlock : IDisposable
{
    [DllImport(LibC.Name, EntryPoint = "memcpy")]
    private static extern void* memcpy(void* destination, void* source, nuint count);

    private IntPtr _pointer;

    public NativeBlock(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _pointer = Marshal.AllocHGlobal(length);
        Length = length;
        new Span<byte>((void*)_pointer, length).Clear();
    }

    public int Length { get; }

    public IntPtr Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == IntPtr.Zero, this);
            return _pointer;
        }
    }

    /// <summary>Copies <paramref name="count"/> bytes of <paramref name="source"/> to <paramref name="blockOffset"/>.</summary>
    public void Write(int blockOffset, byte[] source, int sourceOffset, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckRange(blockOffset, count, Length, nameof(blockOffset));
        CheckRange(sourceOffset, count, source.Length, nameof(sourceOffset));

        Marshal.Copy(source, sourceOffset, Pointer + blockOffset, count);
    }

    /// <summary>Copies <paramref name="count"/> bytes at <paramref name="blockOffset"/> into <paramref name="destination"/>.</summary>
    public void Read(int blockOffset, byte[] destination, int destinationOffset, int count)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckRange(blockOffset, count, Length, nameof(blockOffset));
        CheckRange(destinationOffset, count, destination.Length, nameof(destinationOffset));

        Marshal.Copy(Pointer + blockOffset, destination, destinationOffset, count);
    }

    public byte[] ToArray()
    {
        var copy = new byte[Length];
        Marshal.Copy(Pointer, copy, 0, copy.Length);
        return copy;
    }

    /// <summary>Copies a span into the block with libc's memcpy (the regions never overlap: one is managed).</summary>
    public void CopyFrom(ReadOnlySpan<byte> source, int blockOffset = 0)
    {
        if ((uint)blockOffset > (uint)Length || source.Length > Length - blockOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(source), $"{source.Length} bytes at offset {blockOffset} exceed the {Length}-byte block.");
        }

        fixed (byte* data = source)
        {
            memcpy((byte*)Pointer + blockOffset, data, (nuint)source.Length);
        }
    }

    private static void CheckRange(int offset, int count, int length, string parameterName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((uint)offset > (uint)length || count > length - offset)
        {
            throw new ArgumentOutOfRangeException(parameterName, $"Range [{offset}, {offset}+{count}) exceeds length {length}.");
        }
    }

    public void Dispose()
    {
        IntPtr pointer = Interlocked.Exchange(ref _pointer, IntPtr.Zero);
        if (pointer != IntPtr.Zero)
        {
            Marshal.FreeHGlobal(pointer);
        }
    }
}

/// <summary>Byte-exact moves between spans and unmanaged structs (no alignment assumptions).</summary>
public static unsafe class StructCodec
{
    public static T Read<T>(ReadOnlySpan<byte> source) where T : unmanaged
    {
        if (source.Length < sizeof(T))
        {
            throw new ArgumentException($"{typeof(T).Name} needs {sizeof(T)} bytes, got {source.Length}.", nameof(source));
        }

        T value = default;
        fixed (byte* data = source)
        {
            Unsafe.CopyBlockUnaligned(&value, data, (uint)sizeof(T));
        }

        return value;
    }

    public static int Write<T>(Span<byte> destination, in T value) where T : unmanaged
    {
        if (destination.Length < sizeof(T))
        {
            throw new ArgumentException($"{typeof(T).Name} needs {sizeof(T)} bytes, got {destination.Length}.", nameof(destination));
        }

        fixed (byte* target = destination)
        fixed (T* source = &value)
        {
            Unsafe.CopyBlockUnaligned(target, source, (uint)sizeof(T));
        }

        return sizeof(T);
    }
}

/// <summary>Small libc queries with different buffer strategies.</summary>
public static unsafe partial class SystemQueries
{
    private const int EACCES = 13;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int EROFS = 30;

    // One shared buffer, but every use is inside lock (s_hostNameGate).
    private static readonly object s_hostNameGate = new();
    private static readonly byte[] s_hostNameBuffer = new byte[256]; // HOST_NAME_MAX is 64

    [ThreadStatic]
    private static byte[]? t_pathBuffer;

    private static readonly ThreadLocal<byte[]> s_linkBuffer = new(() => new byte[256]);

    [LibraryImport(LibC.Name, SetLastError = true)]
    private static partial int gethostname(byte* name, nuint length);

    [LibraryImport(LibC.Name, SetLastError = true)]
    private static partial int access(byte* path, int mode);

    [LibraryImport(LibC.Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlink(string path, byte* buffer, nuint size);

    public static string GetHostName()
    {
        lock (s_hostNameGate)
        {
            fixed (byte* name = s_hostNameBuffer)
            {
                if (gethostname(name, (nuint)s_hostNameBuffer.Length) != 0)
                {
                    throw NativeIOException.FromLastError("gethostname");
                }
            }

            int length = Array.IndexOf(s_hostNameBuffer, (byte)0);
            return Encoding.UTF8.GetString(s_hostNameBuffer, 0, length >= 0 ? length : s_hostNameBuffer.Length);
        }
    }

    /// <summary>access(2): true when allowed, false for the "not allowed / not there" answers, throws otherwise.</summary>
    public static bool CanAccess(string path, int mode)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0'))
        {
            throw new ArgumentException("Paths cannot contain NUL.", nameof(path));
        }

        // Worst case UTF-8 size plus the terminator; the thread's buffer grows when needed.
        int needed = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte[] buffer = t_pathBuffer is { } existing && existing.Length >= needed
            ? existing
            : t_pathBuffer = new byte[Math.Max(needed, 512)];

        int length = Encoding.UTF8.GetBytes(path, buffer);
        buffer[length] = 0;

        fixed (byte* native = buffer)
        {
            if (access(native, mode) == 0)
            {
                return true;
            }
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno is EACCES or ENOENT or ENOTDIR or EROFS
            ? false
            : throw new NativeIOException($"access({path})", errno);
    }

    /// <summary>readlink(2) does not terminate or report truncation, so a full buffer means "retry larger".</summary>
    public static string ReadLink(string path)
    {
        const int MaxTarget = 64 * 1024;
        byte[] buffer = s_linkBuffer.Value!;
        while (true)
        {
            nint length;
            fixed (byte* target = buffer)
            {
                length = readlink(path, target, (nuint)buffer.Length);
            }

            if (length < 0)
            {
                throw NativeIOException.FromLastError($"readlink({path})");
            }

            if (length < buffer.Length)
            {
                return Encoding.UTF8.GetString(buffer, 0, (int)length);
            }

            if (buffer.Length >= MaxTarget)
            {
                throw new IOException($"Link target of {path} exceeds {MaxTarget} bytes.");
            }

            buffer = new byte[buffer.Length * 2];
            s_linkBuffer.Value = buffer;
        }
    }

    /// <summary>Reads a small text attribute such as /sys/class/net/eth0/mtu.</summary>
    public static string ReadAttribute(string path)
    {
        using FileDescriptorHandle fd = FileDescriptorHandle.Open(path, LibC.O_RDONLY);

        Span<byte> buffer = stackalloc byte[4096];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = FdIO.ReadSome(fd, buffer.Slice(total));
            if (n == 0)
            {
                return Encoding.UTF8.GetString(buffer[..total]).TrimEnd('\n');
            }

            total += n;
        }

        // The buffer is full: only accept the value if the file really ends here.
        Span<byte> probe = stackalloc byte[1];
        if (FdIO.ReadSome(fd, probe) != 0)
        {
            throw new IOException($"{path} is longer than {buffer.Length} bytes.");
        }

        return Encoding.UTF8.GetString(buffer).TrimEnd('\n');
    }
}

/// <summary>
/// Keeps the most recent <c>Capacity</c> bytes of a traffic stream (for diagnostics dumps).
/// Not thread-safe on its own; callers serialize access.
/// </summary>
public sealed class ByteRing
{
    private readonly byte[] _buffer;
    private int _head;   // next write position
    private int _count;  // valid bytes, at most Capacity

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _buffer = new byte[capacity];
    }

    public int Capacity => _buffer.Length;

    public int Count => _count;

    public void Append(byte[] data, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((uint)offset > (uint)data.Length || count > data.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        if (count >= Capacity)
        {
            // Only the newest Capacity bytes can survive.
            Buffer.BlockCopy(data, offset + count - Capacity, _buffer, 0, Capacity);
            _head = 0;
            _count = Capacity;
            return;
        }

        int first = Math.Min(count, Capacity - _head);
        Buffer.BlockCopy(data, offset, _buffer, _head, first);
        Buffer.BlockCopy(data, offset + first, _buffer, 0, count - first);
        _head = (_head + count) % Capacity;
        _count = Math.Min(Capacity, _count + count);
    }

    /// <summary>Returns the retained bytes, oldest first.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_count];
        int start = (_head - _count + Capacity) % Capacity;
        int first = Math.Min(_count, Capacity - start);
        Array.Copy(_buffer, start, result, 0, first);
        Array.Copy(_buffer, 0, result, first, _count - first);
        return result;
    }
}
