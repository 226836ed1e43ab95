using System.Net;
using System.Net.Sockets;
using KernelSafety.Runtime;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>The write paths compared, each writing one buffer to the drain server.</summary>
public sealed class WritePaths : IDisposable
{
    /// <summary>
    /// Every long-lived connection gets the same fixed kernel buffers (the drain server's receive side too): left to the
    /// OS, each connection tunes its own, and at 64 KiB which connection happened to get the bigger window decided the
    /// comparison (medians 1.8x apart between runs of the same code).
    /// </summary>
    public const int SocketBufferSize = 1 << 20;

    // The raw loop's, the device's, the async device's and the coalescing device's connections. Write and WriteAsync
    // use separate devices, as an application would use one or the other: on Linux a socket that has once waited in
    // the async engine pays for it on every later synchronous call.
    private readonly DrainServer _server = new(dedicatedReaders: 4, receiveBufferSize: SocketBufferSize);
    private readonly Socket _raw;
    private readonly SocketDevice _device;
    private readonly SocketDevice _asyncDevice;
    private readonly SocketDevice _coalescing;

    public WritePaths()
    {
        _raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = SocketBufferSize };
        _raw.Connect(_server.EndPoint);
        _device = new SocketDevice(Options(coalesce: false));
        _device.Write([0]); // connect now: the server's second long-lived connection
        _asyncDevice = new SocketDevice(Options(coalesce: false));
        _asyncDevice.Write([0]);
        _coalescing = new SocketDevice(Options(coalesce: true));
        _coalescing.Write([0]);
        _coalescing.Flush(); // connect now: the fourth long-lived connection
    }

    private SocketDeviceOptions Options(bool coalesce) => new()
    {
        Port = _server.Port,
        Framing = SocketDeviceFraming.Raw,
        NoDelay = true,
        SendBufferSize = SocketBufferSize,
        Coalesce = coalesce,
    };

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
    public ValueTask<int> DeviceWriteAsync(ReadOnlyMemory<byte> data) => _asyncDevice.WriteAsync(data);

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
        _asyncDevice.Dispose();
        _coalescing.Dispose();
        _raw.Dispose();
        _server.Dispose();
    }
}
