using System;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Quiet.Interop.Native;
using Quiet.Interop.Net;

namespace Quiet.Interop.Devices;

/// <summary>struct ifreq: a 16-byte name followed by a 24-byte union (40 bytes on 64-bit Linux).</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct IfReq
{
    public const int IFNAMSIZ = 16;

    [FieldOffset(0)]
    public fixed byte Name[IFNAMSIZ];

    [FieldOffset(16)]
    public short Flags;
}

public enum TunMode
{
    Tun = 0x0001,   // IFF_TUN: layer-3 packets
    Tap = 0x0002,   // IFF_TAP: Ethernet frames
}

/// <summary>A /dev/net/tun interface. Each read returns one packet, each write injects one packet.</summary>
public sealed unsafe class TunDevice : IDisposable
{
    private const short IFF_NO_PI = 0x1000;
    private static readonly nuint TUNSETIFF = IoctlNumbers.Iow('T', 202, sizeof(int));

    /// <summary>Largest IP packet plus an Ethernet header and one VLAN tag (TAP mode).</summary>
    public const int MaxPacketSize = 65_535 + 14 + 4;

    private readonly FileDescriptorHandle _fd;

    private TunDevice(FileDescriptorHandle fd, string name, TunMode mode)
    {
        _fd = fd;
        Name = name;
        Mode = mode;
    }

    public string Name { get; }

    public TunMode Mode { get; }

    /// <summary>Attaches to (or creates) an interface. A null name lets the kernel pick tunN/tapN.</summary>
    public static TunDevice Open(string? requestedName, TunMode mode)
    {
        IfReq ifr = default;
        var nameField = new Span<byte>(ifr.Name, IfReq.IFNAMSIZ);

        if (!string.IsNullOrEmpty(requestedName))
        {
            if (!Ascii.IsValid(requestedName))
            {
                throw new ArgumentException("Interface names are ASCII.", nameof(requestedName));
            }

            byte[] encoded = Encoding.ASCII.GetBytes(requestedName);

            // IFNAMSIZ counts the terminating NUL, so at most 15 name bytes fit.
            if (encoded.Length >= IfReq.IFNAMSIZ)
            {
                throw new ArgumentException($"Interface names are shorter than {IfReq.IFNAMSIZ} bytes.", nameof(requestedName));
            }

            encoded.CopyTo(nameField);
        }

        ifr.Flags = (short)((short)mode | IFF_NO_PI);

        FileDescriptorHandle fd = FileDescriptorHandle.Open("/dev/net/tun", LibC.O_RDWR);
        try
        {
            if (LibC.Ioctl(fd, TUNSETIFF, &ifr) < 0)
            {
                throw NativeIOException.FromLastError("ioctl(TUNSETIFF)");
            }

            // The kernel writes back the final name (e.g. "tun%d" becomes "tun0").
            int length = nameField.IndexOf((byte)0);
            string actual = Encoding.ASCII.GetString(length >= 0 ? nameField[..length] : nameField);
            return new TunDevice(fd, actual, mode);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for a packet to become readable.</summary>
    public bool WaitReadable(int timeoutMilliseconds) => FdIO.WaitReady(_fd, LibC.POLLIN, timeoutMilliseconds);

    /// <summary>Reads one packet into <paramref name="buffer"/> and returns its length.</summary>
    public int ReadPacket(Span<byte> buffer)
    {
        if (buffer.Length < MaxPacketSize)
        {
            // A shorter buffer could silently truncate a packet.
            throw new ArgumentException($"Buffer must hold {MaxPacketSize} bytes.", nameof(buffer));
        }

        int length = FdIO.ReadSome(_fd, buffer);
        if (length == 0)
        {
            throw new EndOfStreamException($"{Name} was detached.");
        }

        return length;
    }

    /// <summary>Injects one packet. The tun driver takes a packet whole or rejects it.</summary>
    public void WritePacket(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty || packet.Length > MaxPacketSize)
        {
            throw new ArgumentOutOfRangeException(nameof(packet), packet.Length, "Packet size out of range.");
        }

        fixed (byte* data = packet)
        {
            nint written;
            do
            {
                written = LibC.Write(_fd, data, (nuint)packet.Length);
            }
            while (written == -1 && Marshal.GetLastPInvokeError() == Errno.EINTR);

            if (written == -1)
            {
                throw NativeIOException.FromLastError($"write({Name})");
            }

            if (written != packet.Length)
            {
                throw new IOException($"{Name} accepted {written} of {packet.Length} bytes.");
            }
        }
    }

    public void Dispose() => _fd.Dispose();
}

/// <summary>
/// Carries packets between a tun interface and a remote relay over one persistent TCP stream,
/// each packet framed by a 4-byte big-endian length.
/// </summary>
public sealed class TunTcpBridge : IDisposable
{
    private const int PollIntervalMs = 250;

    private readonly TunDevice _tun;
    private readonly NativeTcpConnection _connection;

    // One buffer per direction; each is touched only by the thread pumping that direction.
    private readonly byte[] _outbound = new byte[FramedForwarder.HeaderSize + TunDevice.MaxPacketSize];
    private readonly byte[] _inbound = new byte[TunDevice.MaxPacketSize];

    public TunTcpBridge(TunDevice tun, IPEndPoint relay)
    {
        _tun = tun ?? throw new ArgumentNullException(nameof(tun));
        _connection = new NativeTcpConnection(relay, connectTimeoutMs: 5_000, ioTimeoutMs: 15_000);
        _connection.Connect();
    }

    public void Run(CancellationToken cancellationToken)
    {
        Exception? inboundFailure = null;
        var inbound = new Thread(() =>
        {
            try
            {
                Pump(PumpInbound, cancellationToken);
            }
            catch (Exception ex)
            {
                inboundFailure = ex;
            }
        })
        {
            IsBackground = true,
            Name = "tun-inbound",
        };

        inbound.Start();
        Pump(PumpOutbound, cancellationToken);
        inbound.Join();

        if (inboundFailure is not null)
        {
            ExceptionDispatchInfo.Throw(inboundFailure);
        }
    }

    private static void Pump(Action step, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            step();
        }
    }

    /// <summary>tun -> relay: read one packet, prefix its length, send exactly header + packet.</summary>
    private void PumpOutbound()
    {
        if (!_tun.WaitReadable(PollIntervalMs))
        {
            return; // lets Pump observe cancellation
        }

        int length = _tun.ReadPacket(_outbound.AsSpan(FramedForwarder.HeaderSize));
        BinaryPrimitives.WriteInt32BigEndian(_outbound, length);
        _connection.SendAll(_outbound.AsSpan(0, FramedForwarder.HeaderSize + length));
    }

    /// <summary>relay -> tun: read a length, validate it against the buffer, then read and inject that many bytes.</summary>
    private void PumpInbound()
    {
        if (!_connection.WaitReadable(PollIntervalMs))
        {
            return; // only idle between frames; once a header arrives the frame is read to the end
        }

        Span<byte> header = stackalloc byte[FramedForwarder.HeaderSize];
        _connection.ReceiveExactly(header);

        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length <= 0 || length > _inbound.Length)
        {
            throw new InvalidDataException($"Relay sent a frame of {length} bytes.");
        }

        Span<byte> packet = _inbound.AsSpan(0, length);
        _connection.ReceiveExactly(packet);
        _tun.WritePacket(packet);
    }

    public void Dispose()
    {
        _connection.Dispose();
        _tun.Dispose();
    }
}
