using System.Net;
using System.Net.Sockets;
using KernelSafety.Runtime;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>The write paths compared, each writing one buffer to the drain server.</summary>
public sealed class WritePaths : IDisposable
{
    private readonly DrainServer _server = new(dedicatedReaders: 3); // the raw loop's, the device's and the coalescing device's connections
    private readonly Socket _raw;
    private readonly SocketDevice _device;
    private readonly SocketDevice _coalescing;

    public WritePaths()
    {
        _raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _raw.Connect(_server.EndPoint);
        _device = new SocketDevice(new SocketDeviceOptions { Port = _server.Port, Framing = SocketDeviceFraming.Raw, NoDelay = true });
        _device.Write([0]); // connect now: the server's second long-lived connection
        _coalescing = new SocketDevice(new SocketDeviceOptions { Port = _server.Port, Framing = SocketDeviceFraming.Raw, NoDelay = true, Coalesce = true });
        _coalescing.Write([0]);
        _coalescing.Flush(); // connect now: the third long-lived connection
    }

    public DrainServer Server => _server;

    /// <summary>Baseline: a raw blocking Socket.Send loop on one connection (no checks, no locking, no framing).</summary>
    public int RawSend(ReadOnlySpan<byte> data)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            sent += _raw.Send(data[sent..], SocketFlags.None);
        }

        return sent;
    }

    /// <summary>SocketDevice.Write on its persistent connection.</summary>
    public int DeviceWrite(ReadOnlySpan<byte> data) => _device.Write(data);

    /// <summary>SocketDevice.WriteAsync on its persistent connection.</summary>
    public ValueTask<int> DeviceWriteAsync(ReadOnlyMemory<byte> data) => _device.WriteAsync(data);

    /// <summary>SocketDevice.Write with <see cref="SocketDeviceOptions.Coalesce"/> (64 KiB buffer, 1 ms delay) on its own connection:
    /// the bytes may still be buffered when it returns, so timings must end with <see cref="CoalescingFlush"/>.</summary>
    public int CoalescingWrite(ReadOnlySpan<byte> data) => _coalescing.Write(data);

    /// <summary>Sends what the coalescing device has buffered.</summary>
    public void CoalescingFlush() => _coalescing.Flush();

    /// <summary>The listing's design: sock_create, connect, sendmsg, release for every write.</summary>
    public int ConnectPerWrite(ReadOnlySpan<byte> data)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, _server.Port);
        int sent = 0;
        while (sent < data.Length)
        {
            sent += socket.Send(data[sent..], SocketFlags.None);
        }

        return sent;
    }

    public void Dispose()
    {
        _device.Dispose();
        _coalescing.Dispose();
        _raw.Dispose();
        _server.Dispose();
    }
}
