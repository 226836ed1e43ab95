using System.ComponentModel;
using System.Runtime.InteropServices;

namespace DeviceBridge;

/// <summary>The "device file": a named pipe made with libc mkfifo(3).</summary>
internal static class Fifo
{
    private const int EEXIST = 17;
    private const int O_RDONLY = 0;
    private const int O_WRONLY = 1;

    private static int ONonBlock => OperatingSystem.IsLinux() ? 0x800 : 0x4;

    /// <summary>Creates the FIFO (mode 0666 before umask). Returns false if a FIFO already exists there.</summary>
    /// <exception cref="Win32Exception">mkfifo failed for another reason (errno in NativeErrorCode).</exception>
    public static bool Create(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            throw new PlatformNotSupportedException("The device bridge needs a POSIX system (mkfifo).");
        }

        if (mkfifo(path, 0b110_110_110) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST && IsFifo(path))
        {
            return false;
        }

        throw new Win32Exception(errno, $"mkfifo({path}) failed: {new Win32Exception(errno).Message}");
    }

    /// <summary>True if <paramref name="path"/> is a pipe: it opens without blocking and cannot seek (ESPIPE).</summary>
    public static bool IsFifo(string path)
    {
        const int ESPIPE = 29;
        int fd = open(path, O_RDONLY | ONonBlock);
        if (fd < 0)
        {
            return false;
        }

        long position = lseek(fd, 0, 1 /* SEEK_CUR */);
        int errno = Marshal.GetLastPInvokeError();
        _ = close(fd);
        return position == -1 && errno == ESPIPE;
    }

    /// <summary>Wakes a reader blocked in open(2) on the FIFO by opening and closing its write end (non-blocking).</summary>
    public static void Poke(string path)
    {
        int fd = open(path, O_WRONLY | ONonBlock);
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);
}
