using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KernelSafety.Runtime.Tests;

/// <summary>A TCP peer on 127.0.0.1 with an ephemeral port; every operation is bounded by a token.</summary>
internal sealed class LoopbackPeer : IDisposable
{
    private readonly Socket _listener;

    public LoopbackPeer(int backlog = 64)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(backlog);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public SocketDeviceOptions Options(SocketDeviceFraming framing = SocketDeviceFraming.Raw) =>
        new() { Port = Port, Framing = framing, ConnectTimeout = TimeSpan.FromSeconds(5), SendTimeout = TimeSpan.FromSeconds(10) };

    public async Task<Socket> AcceptAsync(CancellationToken token) => await _listener.AcceptAsync(token);

    public void Dispose() => _listener.Dispose();

    /// <summary>A port that nothing listens on (bound, then released).</summary>
    public static int UnusedPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken token)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken token)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, token);
            if (n == 0)
            {
                throw new EndOfStreamException($"peer closed after {got} of {count} bytes");
            }

            got += n;
        }

        return buffer;
    }

    /// <summary>Reads length-prefixed frames until the connection ends.</summary>
    public static async Task<List<byte[]>> ReadFramesToEndAsync(Socket socket, CancellationToken token)
    {
        byte[] data = await ReadToEndAsync(socket, token);
        return ParseFrames(data);
    }

    public static List<byte[]> ParseFrames(ReadOnlySpan<byte> data)
    {
        var frames = new List<byte[]>();
        while (!data.IsEmpty)
        {
            Assert.True(data.Length >= 4, "truncated length prefix");
            int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data));
            Assert.True(data.Length >= 4 + length, $"truncated frame: {length} announced, {data.Length - 4} present");
            frames.Add(data.Slice(4, length).ToArray());
            data = data[(4 + length)..];
        }

        return frames;
    }
}
