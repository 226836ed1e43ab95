using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Quiet.Interop.Native;

/// <summary>errno values from asm-generic/errno-base.h and errno.h (Linux, all architectures we ship).</summary>
internal static class Errno
{
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EWOULDBLOCK = EAGAIN;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int ENAMETOOLONG = 36;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EINPROGRESS = 115;
}

/// <summary>An I/O failure reported by libc, carrying the original errno.</summary>
public sealed class NativeIOException : IOException
{
    public NativeIOException(string operation, int errno)
        : base($"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }

    public int Errno { get; }

    /// <summary>Builds the exception from the errno captured by the last SetLastError P/Invoke.</summary>
    public static NativeIOException FromLastError(string operation) =>
        new(operation, Marshal.GetLastPInvokeError());
}

/// <summary>Classic DllImport declarations for the descriptor-level calls shared by every device wrapper.</summary>
internal static unsafe class LibC
{
    public const string Name = "libc";

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;     // 0400
    public const int O_NONBLOCK = 0x800;   // 04000
    public const int O_CLOEXEC = 0x80000;  // 02000000

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [DllImport(Name, EntryPoint = "open", SetLastError = true)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport(Name, EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport(Name, EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(FileDescriptorHandle fd, byte* buffer, nuint count);

    [DllImport(Name, EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(FileDescriptorHandle fd, byte* buffer, nuint count);

    [DllImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    public static extern int Fcntl(FileDescriptorHandle fd, int command, int argument);

    // ioctl is variadic; integer and pointer arguments are passed identically on the 64-bit Linux ABIs.
    [DllImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(FileDescriptorHandle fd, nuint request, void* argument);

    [DllImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(FileDescriptorHandle fd, nuint request, nint argument);

    [DllImport(Name, EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}

/// <summary>
/// Owns a Linux file descriptor. Unlike SafeHandleZeroOrMinusOneIsInvalid, descriptor 0 is valid here:
/// only negative values mean "no descriptor".
/// </summary>
public sealed class FileDescriptorHandle : SafeHandle
{
    // Required by the P/Invoke marshaller when a descriptor is returned directly.
    public FileDescriptorHandle()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    public FileDescriptorHandle(int fd, bool ownsHandle)
        : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor; callers must hold a reference (DangerousAddRef) while they use it.</summary>
    internal int RawDescriptor => unchecked((int)handle.ToInt64());

    public static FileDescriptorHandle Open(string path, int flags)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        int fd;
        do
        {
            fd = LibC.Open(path, flags | LibC.O_CLOEXEC, 0);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

        if (fd < 0)
        {
            throw NativeIOException.FromLastError($"open({path})");
        }

        return new FileDescriptorHandle(fd, ownsHandle: true);
    }

    protected override bool ReleaseHandle()
    {
        // On Linux close() releases the descriptor even when it reports EINTR; retrying could close
        // a descriptor that another thread has just been given.
        int result = LibC.Close(RawDescriptor);
        return result == 0 || Marshal.GetLastPInvokeError() == Errno.EINTR;
    }
}

/// <summary>read/write helpers that handle EINTR, EAGAIN and short transfers.</summary>
internal static unsafe class FdIO
{
    /// <summary>Writes every byte of <paramref name="data"/>, looping over partial writes.</summary>
    public static void WriteAll(FileDescriptorHandle fd, ReadOnlySpan<byte> data, int timeoutMilliseconds = -1)
    {
        fixed (byte* start = data)
        {
            int written = 0;
            while (written < data.Length)
            {
                nint result = LibC.Write(fd, start + written, (nuint)(data.Length - written));
                if (result < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        if (!WaitReady(fd, LibC.POLLOUT, timeoutMilliseconds))
                        {
                            throw new TimeoutException($"write stalled after {written} of {data.Length} bytes");
                        }

                        continue;
                    }

                    throw new NativeIOException("write", errno);
                }

                if (result == 0)
                {
                    // write() of a non-zero count never legitimately returns 0 on the devices we drive.
                    throw new IOException($"write made no progress after {written} of {data.Length} bytes");
                }

                written += (int)result;
            }
        }
    }

    /// <summary>Reads at most <c>buffer.Length</c> bytes; returns the count read, 0 at end of file.</summary>
    public static int ReadSome(FileDescriptorHandle fd, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint result = LibC.Read(fd, start, (nuint)buffer.Length);
                if (result >= 0)
                {
                    return (int)result;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeIOException("read", errno);
                }
            }
        }
    }

    /// <summary>Waits until <paramref name="events"/> are signalled; false on timeout. EINTR restarts with the remaining time.</summary>
    public static bool WaitReady(FileDescriptorHandle fd, short events, int timeoutMilliseconds)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try
        {
            return WaitReady(fd.RawDescriptor, events, timeoutMilliseconds);
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    public static bool WaitReady(int fd, short events, int timeoutMilliseconds)
    {
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        LibC.PollFd pfd = new() { fd = fd, events = events };

        while (true)
        {
            int remaining = timeoutMilliseconds < 0
                ? -1
                : (int)Math.Max(0, deadline - Environment.TickCount64);

            pfd.revents = 0;
            int ready = LibC.Poll(&pfd, 1, remaining);
            if (ready > 0)
            {
                if ((pfd.revents & LibC.POLLNVAL) != 0)
                {
                    throw new NativeIOException("poll", Errno.EBADF);
                }

                // POLLERR/POLLHUP also count as "ready": the following call reports the actual error.
                return true;
            }

            if (ready == 0)
            {
                return false;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeIOException("poll", errno);
            }
        }
    }
}
