using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Quiet.Interop.Native;

namespace Quiet.Interop.Devices;

/// <summary>struct input_event; the timestamp is a struct timeval, i.e. two C longs.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct InputEvent
{
    public nint TimeSeconds;
    public nint TimeMicroseconds;
    public ushort Type;
    public ushort Code;
    public int Value;

    public InputEvent(ushort type, ushort code, int value)
    {
        TimeSeconds = 0;         // uinput ignores the timestamp; the input core stamps the event
        TimeMicroseconds = 0;
        Type = type;
        Code = code;
        Value = value;
    }
}

[StructLayout(LayoutKind.Sequential)]
internal struct InputId
{
    public ushort BusType;
    public ushort Vendor;
    public ushort Product;
    public ushort Version;
}

/// <summary>struct uinput_setup (linux/uinput.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct UInputSetup
{
    public const int MaxNameSize = 80; // UINPUT_MAX_NAME_SIZE

    public InputId Id;
    public fixed byte Name[MaxNameSize];
    public uint FfEffectsMax;
}

internal static class InputConstants
{
    public const ushort EV_SYN = 0x00;
    public const ushort EV_KEY = 0x01;
    public const ushort EV_REL = 0x02;
    public const ushort SYN_REPORT = 0;
    public const ushort REL_X = 0x00;
    public const ushort REL_Y = 0x01;
    public const ushort REL_WHEEL = 0x08;
    public const ushort KEY_MAX = 0x2ff;
    public const ushort BUS_VIRTUAL = 0x06;
}

/// <summary>ioctl request numbers in the generic _IOC layout (x86, x64, Arm, Arm64, RISC-V, LoongArch).</summary>
internal static class IoctlNumbers
{
    private const uint IOC_NONE = 0;
    private const uint IOC_WRITE = 1;
    private const uint IOC_READ = 2;

    public static nuint Io(char type, uint nr) => Encode(IOC_NONE, type, nr, 0);
    public static nuint Iow(char type, uint nr, int size) => Encode(IOC_WRITE, type, nr, size);
    public static nuint Ior(char type, uint nr, int size) => Encode(IOC_READ, type, nr, size);

    private static nuint Encode(uint direction, char type, uint nr, int size)
    {
        if (RuntimeInformation.ProcessArchitecture is Architecture.Ppc64le or Architecture.S390x)
        {
            // PowerPC uses a different _IOC layout; s390x is not a target for these devices.
            throw new PlatformNotSupportedException("ioctl encoding for this architecture is not implemented.");
        }

        if ((uint)size > 0x3FFF)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "_IOC size field is 14 bits.");
        }

        return (direction << 30) | ((uint)size << 16) | ((uint)(byte)type << 8) | (nr & 0xFF);
    }
}

/// <summary>
/// A virtual keyboard/mouse created through /dev/uinput. The device node is opened once in the
/// constructor and every event is written to that same descriptor until disposal.
/// </summary>
public sealed unsafe class UInputDevice : IDisposable
{
    private static readonly nuint UI_DEV_CREATE = IoctlNumbers.Io('U', 1);
    private static readonly nuint UI_DEV_DESTROY = IoctlNumbers.Io('U', 2);
    private static readonly nuint UI_DEV_SETUP = IoctlNumbers.Iow('U', 3, sizeof(UInputSetup));
    private static readonly nuint UI_SET_EVBIT = IoctlNumbers.Iow('U', 100, sizeof(int));
    private static readonly nuint UI_SET_KEYBIT = IoctlNumbers.Iow('U', 101, sizeof(int));
    private static readonly nuint UI_SET_RELBIT = IoctlNumbers.Iow('U', 102, sizeof(int));

    private readonly FileDescriptorHandle _fd;
    private readonly object _writeLock = new();
    private bool _created;

    public UInputDevice(string name, ushort vendor, ushort product, IReadOnlyCollection<ushort> keys, bool withPointer)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(keys);

        _fd = FileDescriptorHandle.Open("/dev/uinput", LibC.O_WRONLY | LibC.O_NONBLOCK);
        try
        {
            IoctlValue(UI_SET_EVBIT, InputConstants.EV_SYN);
            IoctlValue(UI_SET_EVBIT, InputConstants.EV_KEY);
            foreach (ushort key in keys)
            {
                if (key > InputConstants.KEY_MAX)
                {
                    throw new ArgumentOutOfRangeException(nameof(keys), $"Key code {key} exceeds KEY_MAX.");
                }

                IoctlValue(UI_SET_KEYBIT, key);
            }

            if (withPointer)
            {
                IoctlValue(UI_SET_EVBIT, InputConstants.EV_REL);
                IoctlValue(UI_SET_RELBIT, InputConstants.REL_X);
                IoctlValue(UI_SET_RELBIT, InputConstants.REL_Y);
                IoctlValue(UI_SET_RELBIT, InputConstants.REL_WHEEL);
            }

            UInputSetup setup = default;
            setup.Id = new InputId { BusType = InputConstants.BUS_VIRTUAL, Vendor = vendor, Product = product, Version = 1 };

            // Keep the last byte for the terminator; FromUtf16 stops at a whole character when space runs out.
            Span<byte> nameField = new(setup.Name, UInputSetup.MaxNameSize);
            nameField.Clear();
            OperationStatus status = Utf8.FromUtf16(name, nameField[..^1], out _, out int nameBytes);
            Debug.Assert(status is OperationStatus.Done or OperationStatus.DestinationTooSmall);
            Debug.Assert(nameBytes < UInputSetup.MaxNameSize);

            if (LibC.Ioctl(_fd, UI_DEV_SETUP, &setup) < 0)
            {
                throw NativeIOException.FromLastError("ioctl(UI_DEV_SETUP)");
            }

            IoctlValue(UI_DEV_CREATE, 0);
            _created = true;
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    private void IoctlValue(nuint request, int value)
    {
        if (LibC.Ioctl(_fd, request, (nint)value) == -1)
        {
            throw NativeIOException.FromLastError($"ioctl(0x{(ulong)request:X})");
        }
    }

    /// <summary>Writes exactly one input_event.</summary>
    public void Emit(ushort type, ushort code, int value)
    {
        InputEvent ev = new(type, code, value);
        lock (_writeLock)
        {
            nint written;
            do
            {
                written = LibC.Write(_fd, (byte*)&ev, (nuint)sizeof(InputEvent));
            }
            while (written < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

            if (written < 0)
            {
                throw NativeIOException.FromLastError("write(input_event)");
            }

            if (written != sizeof(InputEvent))
            {
                throw new IOException($"uinput accepted {written} of {sizeof(InputEvent)} bytes.");
            }
        }
    }

    /// <summary>Presses and releases a key, each transition followed by a SYN_REPORT.</summary>
    public void TapKey(ushort key)
    {
        Span<InputEvent> batch = stackalloc InputEvent[4];
        batch[0] = new InputEvent(InputConstants.EV_KEY, key, 1);
        batch[1] = new InputEvent(InputConstants.EV_SYN, InputConstants.SYN_REPORT, 0);
        batch[2] = new InputEvent(InputConstants.EV_KEY, key, 0);
        batch[3] = new InputEvent(InputConstants.EV_SYN, InputConstants.SYN_REPORT, 0);
        WriteEvents(batch);
    }

    /// <summary>Moves the pointer; axes that do not move are left out of the report.</summary>
    public void MovePointer(int dx, int dy)
    {
        Span<InputEvent> events = stackalloc InputEvent[3];
        int count = 0;
        if (dx != 0)
        {
            events[count++] = new InputEvent(InputConstants.EV_REL, InputConstants.REL_X, dx);
        }

        if (dy != 0)
        {
            events[count++] = new InputEvent(InputConstants.EV_REL, InputConstants.REL_Y, dy);
        }

        if (count == 0)
        {
            return;
        }

        events[count++] = new InputEvent(InputConstants.EV_SYN, InputConstants.SYN_REPORT, 0);
        WriteEvents(events[..count]);
    }

    private void WriteEvents(ReadOnlySpan<InputEvent> events)
    {
        lock (_writeLock)
        {
            // uinput consumes whole events and reports the bytes of those it took, so continuing
            // from the returned offset never splits an event.
            FdIO.WriteAll(_fd, MemoryMarshal.AsBytes(events), timeoutMilliseconds: 1_000);
        }
    }

    public void Dispose()
    {
        if (_created && !_fd.IsClosed)
        {
            // Closing the node destroys the device as well; the explicit ioctl just makes it prompt.
            if (LibC.Ioctl(_fd, UI_DEV_DESTROY, 0) < 0)
            {
                Debug.WriteLine($"UI_DEV_DESTROY failed with errno {Marshal.GetLastPInvokeError()}");
            }

            _created = false;
        }

        _fd.Dispose();
    }
}

/// <summary>Reads events from an evdev node such as /dev/input/event3.</summary>
public sealed unsafe class EvdevReader : IDisposable
{
    private const int BatchSize = 64;
    private readonly FileDescriptorHandle _fd;

    public EvdevReader(string devicePath)
    {
        _fd = FileDescriptorHandle.Open(devicePath, LibC.O_RDONLY);
        Name = QueryName();
    }

    public string Name { get; }

    private string QueryName()
    {
        const int capacity = 256;
        byte* buffer = stackalloc byte[capacity];
        nuint request = IoctlNumbers.Ior('E', 0x06, capacity); // EVIOCGNAME(len)

        int copied = LibC.Ioctl(_fd, request, buffer);
        if (copied < 0)
        {
            throw NativeIOException.FromLastError("ioctl(EVIOCGNAME)");
        }

        // The kernel returns how many bytes it copied (terminator included), never more than capacity.
        var bytes = new ReadOnlySpan<byte>(buffer, Math.Min(copied, capacity));
        int terminator = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(terminator >= 0 ? bytes[..terminator] : bytes);
    }

    /// <summary>Blocks until at least one event is available and hands each one to <paramref name="sink"/>.</summary>
    public int ReadBatch(Action<InputEvent> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);

        Span<InputEvent> events = stackalloc InputEvent[BatchSize];
        int bytesRead = FdIO.ReadSome(_fd, MemoryMarshal.AsBytes(events));
        if (bytesRead == 0)
        {
            throw new EndOfStreamException("The input device was removed.");
        }

        if (bytesRead % sizeof(InputEvent) != 0)
        {
            throw new InvalidDataException($"evdev returned {bytesRead} bytes, not a whole number of events.");
        }

        int count = bytesRead / sizeof(InputEvent);
        foreach (InputEvent ev in events[..count])
        {
            sink(ev);
        }

        return count;
    }

    public void Dispose() => _fd.Dispose();
}
