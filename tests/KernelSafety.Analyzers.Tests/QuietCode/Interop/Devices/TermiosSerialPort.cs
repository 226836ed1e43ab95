using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using Quiet.Interop.Native;

namespace Quiet.Interop.Devices;

/// <summary>glibc's struct termios on Linux (60 bytes): four flag words, c_line, c_cc[NCCS], two speeds.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Termios
{
    public const int NCCS = 32;

    public uint c_iflag;
    public uint c_oflag;
    public uint c_cflag;
    public uint c_lflag;
    public byte c_line;
    public fixed byte c_cc[NCCS];
    public uint c_ispeed;
    public uint c_ospeed;
}

/// <summary>A raw-mode serial line configured through termios. The descriptor stays open for the object's lifetime.</summary>
public sealed unsafe partial class TermiosSerialPort : IDisposable
{
    // c_cflag bits (asm-generic/termbits.h, octal in the header)
    private const uint CSIZE = 0x30;
    private const uint CS8 = 0x30;
    private const uint CSTOPB = 0x40;
    private const uint CREAD = 0x80;
    private const uint PARENB = 0x100;
    private const uint CLOCAL = 0x800;
    private const uint CRTSCTS = 0x80000000;

    private const int VTIME = 5;
    private const int VMIN = 6;
    private const int TCSANOW = 0;
    private const int TCIOFLUSH = 2;

    private readonly FileDescriptorHandle _fd;
    private readonly object _writeLock = new();

    public TermiosSerialPort(string devicePath, int baudRate)
    {
        uint speed = ToSpeedConstant(baudRate);

        // O_NONBLOCK only so that open() does not wait for carrier detect; it is cleared right after.
        _fd = FileDescriptorHandle.Open(devicePath, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_NONBLOCK);
        try
        {
            int flags = LibC.Fcntl(_fd, LibC.F_GETFL, 0);
            if (flags == -1)
            {
                throw NativeIOException.FromLastError("fcntl(F_GETFL)");
            }

            if (LibC.Fcntl(_fd, LibC.F_SETFL, flags & ~LibC.O_NONBLOCK) == -1)
            {
                throw NativeIOException.FromLastError("fcntl(F_SETFL)");
            }

            Termios tio = default;
            Check(Native.tcgetattr(_fd, &tio), "tcgetattr");

            Native.cfmakeraw(&tio);
            tio.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
            tio.c_cflag |= CS8 | CLOCAL | CREAD;
            tio.c_cc[VMIN] = 0;   // reads are paced by poll(), never by the tty layer
            tio.c_cc[VTIME] = 0;

            Check(Native.cfsetispeed(&tio, speed), "cfsetispeed");
            Check(Native.cfsetospeed(&tio, speed), "cfsetospeed");
            Check(Native.tcsetattr(_fd, TCSANOW, &tio), "tcsetattr");

            // tcsetattr reports success when any one of the changes took effect, so read the result back.
            Termios applied = default;
            Check(Native.tcgetattr(_fd, &applied), "tcgetattr");
            if (Native.cfgetospeed(&applied) != speed)
            {
                throw new IOException($"{devicePath} does not support {baudRate} baud.");
            }

            Check(Native.tcflush(_fd, TCIOFLUSH), "tcflush");
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    private static uint ToSpeedConstant(int baudRate) => baudRate switch
    {
        9_600 => 0x000D,     // B9600
        19_200 => 0x000E,    // B19200
        38_400 => 0x000F,    // B38400
        57_600 => 0x1001,    // B57600
        115_200 => 0x1002,   // B115200
        230_400 => 0x1003,   // B230400
        460_800 => 0x1004,   // B460800
        921_600 => 0x1007,   // B921600
        _ => throw new ArgumentOutOfRangeException(nameof(baudRate), baudRate, "Unsupported baud rate."),
    };

    private static void Check(int result, string operation)
    {
        if (result < 0)
        {
            throw NativeIOException.FromLastError(operation);
        }
    }

    /// <summary>Queues all of <paramref name="data"/> for transmission (handles partial writes and EINTR).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            FdIO.WriteAll(_fd, data);
        }
    }

    /// <summary>Blocks until everything written so far has left the UART.</summary>
    public void Drain()
    {
        while (Native.tcdrain(_fd) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeIOException("tcdrain", errno);
            }
        }
    }

    /// <summary>Reads whatever is available within the timeout; 0 means nothing arrived.</summary>
    public int Read(Span<byte> buffer, int timeoutMilliseconds)
    {
        if (buffer.IsEmpty || !FdIO.WaitReady(_fd, LibC.POLLIN, timeoutMilliseconds))
        {
            return 0;
        }

        // With VMIN = VTIME = 0 a readable tty only returns 0 after a hangup.
        int n = FdIO.ReadSome(_fd, buffer);
        if (n == 0)
        {
            throw new EndOfStreamException("The serial line hung up.");
        }

        return n;
    }

    /// <summary>Fills <paramref name="buffer"/> or throws <see cref="TimeoutException"/> when the deadline passes.</summary>
    public void ReadExactly(Span<byte> buffer, int timeoutMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMilliseconds);
        long deadline = Environment.TickCount64 + timeoutMilliseconds;
        int filled = 0;
        while (filled < buffer.Length)
        {
            int remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = Read(buffer.Slice(filled), remaining);
            if (n == 0 && remaining == 0)
            {
                throw new TimeoutException($"Received {filled} of {buffer.Length} bytes before the deadline.");
            }

            filled += n;
        }
    }

    public void Dispose() => _fd.Dispose();

    private static partial class Native
    {
        private const string Lib = "libc";

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int tcgetattr(FileDescriptorHandle fd, Termios* termios);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int tcsetattr(FileDescriptorHandle fd, int optionalActions, Termios* termios);

        [LibraryImport(Lib)]
        public static partial void cfmakeraw(Termios* termios);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int cfsetispeed(Termios* termios, uint speed);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int cfsetospeed(Termios* termios, uint speed);

        [LibraryImport(Lib)]
        public static partial uint cfgetospeed(Termios* termios);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int tcdrain(FileDescriptorHandle fd);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int tcflush(FileDescriptorHandle fd, int queueSelector);
    }
}

/// <summary>
/// Fixed 16-byte command frames for a bench power-supply controller on an RS-485 bus:
/// sync, address, command, payload length, 10 payload bytes (zero padded), CRC-16/Modbus (low byte first).
/// </summary>
public sealed class PsuBusClient
{
    public const int FrameSize = 16;
    public const int MaxPayload = 10;
    private const byte Sync = 0xA5;
    private const int CrcOffset = FrameSize - 2;

    private readonly TermiosSerialPort _port;
    private readonly object _transactionLock = new();

    public PsuBusClient(TermiosSerialPort port) => _port = port ?? throw new ArgumentNullException(nameof(port));

    /// <summary>Sends a command and copies the reply payload into <paramref name="reply"/>; returns its length.</summary>
    public int Transact(byte address, byte command, ReadOnlySpan<byte> payload, Span<byte> reply, int timeoutMilliseconds = 500)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), $"At most {MaxPayload} payload bytes fit a frame.");
        }

        Span<byte> frame = stackalloc byte[FrameSize];

        // The protocol always carries whole 16-byte frames; unused payload bytes must be zero.
        frame.Clear();
        frame[0] = Sync;
        frame[1] = address;
        frame[2] = command;
        frame[3] = (byte)payload.Length;
        payload.CopyTo(frame.Slice(4, MaxPayload));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(CrcOffset), Crc16Modbus.Compute(frame[..CrcOffset]));

        lock (_transactionLock)
        {
            _port.Write(frame);

            Span<byte> response = stackalloc byte[FrameSize];
            _port.ReadExactly(response, timeoutMilliseconds);
            return Decode(response, address, command, reply);
        }
    }

    private static int Decode(ReadOnlySpan<byte> frame, byte address, byte command, Span<byte> reply)
    {
        ushort expected = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(CrcOffset));
        if (frame[0] != Sync || Crc16Modbus.Compute(frame[..CrcOffset]) != expected)
        {
            throw new InvalidDataException("Corrupted reply frame.");
        }

        if (frame[1] != address || frame[2] != command)
        {
            throw new InvalidDataException($"Reply for {frame[1]}/{frame[2]}, expected {address}/{command}.");
        }

        int length = frame[3];
        if (length > MaxPayload)
        {
            throw new InvalidDataException($"Reply claims {length} payload bytes.");
        }

        if (length > reply.Length)
        {
            throw new ArgumentException($"The reply holds {length} bytes; the buffer only {reply.Length}.", nameof(reply));
        }

        frame.Slice(4, length).CopyTo(reply);
        return length;
    }
}

/// <summary>CRC-16/Modbus (reflected polynomial 0xA001, initial value 0xFFFF).</summary>
internal static class Crc16Modbus
{
    // Filled once during type initialization and only read afterwards.
    private static readonly ushort[] Table = BuildTable();

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < table.Length; i++)
        {
            uint crc = (uint)i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1;
            }

            table[i] = (ushort)crc;
        }

        return table;
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF;
        foreach (byte b in data)
        {
            crc = (crc >> 8) ^ Table[(crc ^ b) & 0xFF];
        }

        return (ushort)crc;
    }
}
