using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Unicode;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Interop.Native;

namespace Quiet.Interop.Net;

/// <summary>
/// Length-framed UTF-8 lines to a collector over one TcpClient that lives as long as this object.
/// A dropped connection is re-established lazily by the next send.
/// </summary>
public sealed class TelemetryChannel : IAsyncDisposable
{
    private const int HeaderSize = 4;

    private readonly string _host;
    private readonly int _port;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TcpClient? _client;
    private NetworkStream? _stream;

    public TelemetryChannel(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        _host = host;
        _port = ByteOrder.CheckedPort(port);
    }

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Caller holds _gate.
    private async ValueTask<NetworkStream> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null && _client is { Connected: true })
        {
            return _stream;
        }

        DropConnection();
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        _client = client;
        _stream = client.GetStream();
        return _stream;
    }

    public async Task SendLineAsync(string line, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(HeaderSize + Encoding.UTF8.GetMaxByteCount(line.Length));
        try
        {
            int length = Encoding.UTF8.GetBytes(line, 0, line.Length, buffer, HeaderSize);
            BinaryPrimitives.WriteInt32BigEndian(buffer, length);

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                NetworkStream stream = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // Only header + encoded bytes are valid; the pooled array is usually longer.
                    await stream.WriteAsync(buffer.AsMemory(0, HeaderSize + length), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    DropConnection();
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void DropConnection()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _stream = null;
        _client = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            DropConnection();
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>A non-blocking socket whose sends loop over partial progress and check every SocketError.</summary>
public sealed class NonBlockingSender : IDisposable
{
    private readonly Socket _socket;
    private readonly int _sendTimeoutMicroseconds;

    public NonBlockingSender(AddressFamily family, TimeSpan sendTimeout)
    {
        _socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _sendTimeoutMicroseconds = checked((int)(sendTimeout.Ticks / 10));
    }

    public async Task ConnectAsync(EndPoint remote)
    {
        await ConnectWithEventArgs(remote).ConfigureAwait(false);
        _socket.Blocking = false;
    }

    private Task ConnectWithEventArgs(EndPoint remote)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var args = new SocketAsyncEventArgs { RemoteEndPoint = remote };
        args.Completed += (_, e) => Finish(e, completion);

        if (!_socket.ConnectAsync(args))
        {
            // Completed synchronously: Completed will not be raised, so finish here.
            Finish(args, completion);
        }

        return completion.Task;
    }

    private static void Finish(SocketAsyncEventArgs args, TaskCompletionSource completion)
    {
        if (args.SocketError == SocketError.Success)
        {
            completion.TrySetResult();
        }
        else
        {
            completion.TrySetException(new SocketException((int)args.SocketError));
        }

        args.Dispose();
    }

    public void SendAll(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            int sent = _socket.Send(data.Slice(offset), SocketFlags.None, out SocketError error);
            switch (error)
            {
                case SocketError.Success:
                    offset += sent;
                    break;
                case SocketError.WouldBlock:
                    if (!_socket.Poll(_sendTimeoutMicroseconds, SelectMode.SelectWrite))
                    {
                        throw new TimeoutException($"Send stalled after {offset} of {data.Length} bytes.");
                    }

                    break;
                default:
                    throw new SocketException((int)error);
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>Synchronous connects with a deadline, for callers that cannot be async.</summary>
public static class TimedConnect
{
    public static Socket ConnectApm(IPEndPoint remote, TimeSpan timeout)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            IAsyncResult pending = socket.BeginConnect(remote, null, null);
            if (!pending.AsyncWaitHandle.WaitOne(timeout))
            {
                // Disposing the socket in the catch below aborts the outstanding attempt.
                throw new TimeoutException($"Connecting to {remote} took longer than {timeout}.");
            }

            socket.EndConnect(pending); // rethrows the SocketException of a failed attempt
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static Socket ConnectTask(string host, int port, int timeoutMilliseconds)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp); // dual-mode: IPv4 and IPv6 targets
        try
        {
            Task connect = socket.ConnectAsync(host, ByteOrder.CheckedPort(port));
            bool completed;
            try
            {
                completed = connect.Wait(timeoutMilliseconds);
            }
            catch (AggregateException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }

            if (!completed)
            {
                // The attempt fails once the socket is disposed; observe that fault so it is not reported as unobserved.
                connect.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new TimeoutException($"Connecting to {host}:{port} took longer than {timeoutMilliseconds} ms.");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>SOCKS5 (RFC 1928) CONNECT handshake. The returned socket stays open for the caller's traffic.</summary>
public static class Socks5
{
    public static async Task<(Socket Socket, IPEndPoint Bound)> ConnectAsync(
        IPEndPoint proxy, IPAddress target, int targetPort, CancellationToken cancellationToken)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(proxy, cancellationToken).ConfigureAwait(false);

            await SendAllAsync(socket, new byte[] { 5, 1, 0 }, cancellationToken).ConfigureAwait(false);
            byte[] choice = new byte[2];
            await ReceiveExactlyAsync(socket, choice, cancellationToken).ConfigureAwait(false);
            if (choice[0] != 5 || choice[1] != 0)
            {
                throw new IOException("Proxy refused the no-authentication method.");
            }

            byte[] address = target.GetAddressBytes();
            byte[] request = new byte[4 + address.Length + 2];
            request[0] = 5;                                   // VER
            request[1] = 1;                                   // CMD = CONNECT
            request[2] = 0;                                   // RSV
            request[3] = address.Length == 4 ? (byte)1 : (byte)4; // ATYP
            address.CopyTo(request, 4);

            // DST.PORT is network order: convert first, then lay the short out in memory order.
            short networkPort = IPAddress.HostToNetworkOrder(unchecked((short)ByteOrder.CheckedPort(targetPort)));
            BitConverter.GetBytes(networkPort).CopyTo(request, 4 + address.Length);
            await SendAllAsync(socket, request, cancellationToken).ConfigureAwait(false);

            byte[] head = new byte[4];
            await ReceiveExactlyAsync(socket, head, cancellationToken).ConfigureAwait(false);
            if (head[0] != 5 || head[1] != 0)
            {
                throw new IOException($"Proxy CONNECT failed with reply code {head[1]}.");
            }

            int addressLength = head[3] switch
            {
                1 => 4,
                4 => 16,
                _ => throw new IOException($"Unsupported bound address type {head[3]}."),
            };

            byte[] bound = new byte[addressLength + 2];
            await ReceiveExactlyAsync(socket, bound, cancellationToken).ConfigureAwait(false);
            var boundEndPoint = new IPEndPoint(
                new IPAddress(bound.AsSpan(0, addressLength)),
                BinaryPrimitives.ReadUInt16BigEndian(bound.AsSpan(addressLength)));

            return (socket, boundEndPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data.Slice(sent);
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                throw new EndOfStreamException("Proxy closed the connection during the handshake.");
            }

            buffer = buffer.Slice(received);
        }
    }
}

/// <summary>
/// Broadcasts a fixed 64-byte status record over one connected UdpClient:
/// name (32 bytes, UTF-8, zero padded) | service port (2, big-endian) | uptime seconds (4, big-endian) | reserved.
/// </summary>
public sealed class StatusBeacon : IDisposable
{
    public const int RecordSize = 64;
    private const int NameField = 32;

    private readonly UdpClient _udp;
    private readonly byte[] _record = new byte[RecordSize];
    private readonly object _lock = new();

    public StatusBeacon(string collectorHost, int collectorPort)
    {
        _udp = new UdpClient();
        _udp.Connect(collectorHost, ByteOrder.CheckedPort(collectorPort));
    }

    public void Publish(string deviceName, ushort servicePort, uint uptimeSeconds)
    {
        ArgumentNullException.ThrowIfNull(deviceName);
        lock (_lock)
        {
            // Every record is exactly RecordSize bytes; clearing first keeps old names out of the padding.
            Array.Clear(_record);
            // Long names are cut at a character boundary (DestinationTooSmall); the field needs no terminator.
            Utf8.FromUtf16(deviceName, _record.AsSpan(0, NameField), out _, out _);
            BinaryPrimitives.WriteUInt16BigEndian(_record.AsSpan(NameField, 2), servicePort);
            BinaryPrimitives.WriteUInt32BigEndian(_record.AsSpan(NameField + 2, 4), uptimeSeconds);

            int sent = _udp.Send(_record, RecordSize);
            if (sent != RecordSize)
            {
                throw new IOException($"Beacon datagram truncated to {sent} bytes.");
            }
        }
    }

    /// <summary>Decodes a received record into the device name and the endpoint it serves on.</summary>
    public static (string Name, IPEndPoint Service) Parse(ReadOnlySpan<byte> record, IPAddress sender)
    {
        if (record.Length != RecordSize)
        {
            throw new InvalidDataException($"Status records are {RecordSize} bytes, got {record.Length}.");
        }

        ReadOnlySpan<byte> name = record[..NameField];
        int end = name.IndexOf((byte)0);
        string deviceName = Encoding.UTF8.GetString(end >= 0 ? name[..end] : name);
        int servicePort = BinaryPrimitives.ReadUInt16BigEndian(record.Slice(NameField, 2));
        return (deviceName, new IPEndPoint(sender, servicePort));
    }

    public void Dispose() => _udp.Dispose();
}

/// <summary>Copies a device stream onto a connected blocking socket, logging each chunk.</summary>
public sealed class StreamToSocketPump
{
    private readonly Socket _socket;
    private readonly Action<string>? _log;
    private readonly byte[] _buffer = new byte[16 * 1024];

    public StreamToSocketPump(Socket connectedSocket, Action<string>? log = null)
    {
        _socket = connectedSocket ?? throw new ArgumentNullException(nameof(connectedSocket));
        if (!_socket.Connected)
        {
            throw new ArgumentException("The socket must already be connected.", nameof(connectedSocket));
        }

        _socket.Blocking = true;
        _log = log;
    }

    public long Pump(Stream source)
    {
        long total = 0;
        int read;
        while ((read = source.Read(_buffer, 0, _buffer.Length)) > 0)
        {
            _log?.Invoke($"chunk {read}: {Encoding.ASCII.GetString(_buffer, 0, Math.Min(read, 64))}");

            // A blocking Send transmits everything it is given or throws.
            _socket.Send(_buffer, 0, read, SocketFlags.None);
            total += read;
        }

        return total;
    }
}
