using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Framing;

/// <summary>
/// Length-prefixed frame client. One TCP connection is opened lazily and reused for every
/// frame; it is dropped only when a send or receive fails, and re-opened on the next call.
/// Sync and async callers share one send gate so frames never interleave.
/// </summary>
public sealed class FramedTcpClient : IDisposable
{
    private readonly EndPoint _remote;
    private readonly TimeSpan _connectTimeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Socket? _socket;
    private bool _disposed;

    public FramedTcpClient(string host, int port, TimeSpan connectTimeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (port < IPEndPoint.MinPort || port > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(port));
        }

        _remote = new DnsEndPoint(host, port);
        _connectTimeout = connectTimeout;
    }

    public FramedTcpClient(IPEndPoint remote, TimeSpan connectTimeout)
    {
        _remote = remote ?? throw new ArgumentNullException(nameof(remote));
        _connectTimeout = connectTimeout;
    }

    public bool IsConnected => _socket is { Connected: true };

    // ---------------------------------------------------------------- async API

    public async Task SendAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Socket socket = _socket ?? await OpenAsync(cancellationToken).ConfigureAwait(false);
            byte[] frame = FrameCodec.EncodeRented(type, payload.Span, out int frameLength);
            try
            {
                await SendAllAsync(socket, frame.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Drop();
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<(FrameType Type, byte[] Payload)> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Socket socket = _socket ?? throw new InvalidOperationException("Send a frame before waiting for a reply.");
        byte[] header = new byte[FrameCodec.HeaderSize];
        await ReceiveExactAsync(socket, header, cancellationToken).ConfigureAwait(false);
        if (!FrameCodec.TryReadHeader(header, out FrameType type, out int length))
        {
            Drop();
            throw new InvalidOperationException("Malformed frame header.");
        }

        byte[] payload = length == 0 ? Array.Empty<byte>() : new byte[length];
        await ReceiveExactAsync(socket, payload, cancellationToken).ConfigureAwait(false);
        return (type, payload);
    }

    private async Task<Socket> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(_remote, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"Connecting to {_remote} took longer than {_connectTimeout}.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        return socket;
    }

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (sent <= 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            data = data.Slice(sent);
        }
    }

    internal static async ValueTask ReceiveExactAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            int read = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            destination = destination.Slice(read);
        }
    }

    // ---------------------------------------------------------------- sync API

    public void Send(FrameType type, ReadOnlySpan<byte> payload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (payload.Length > FrameCodec.MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload));
        }

        // The header is written in full by WriteHeader, so all five bytes are valid.
        Span<byte> header = stackalloc byte[FrameCodec.HeaderSize];
        FrameCodec.WriteHeader(header, type, payload.Length);

        _gate.Wait();
        try
        {
            Socket socket = _socket ?? Open();
            try
            {
                SendAll(socket, header);
                SendAll(socket, payload);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Drop();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Keep-alive probe: the canned ping frame is exactly one header long.</summary>
    public void Ping()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _gate.Wait();
        try
        {
            SendAll(_socket ?? Open(), FrameCodec.PingFrame.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Socket Open()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connect = socket.ConnectAsync(_remote);
        bool completed;
        try
        {
            completed = connect.Wait(_connectTimeout);
        }
        catch (AggregateException ex) when (ex.InnerException is not null)
        {
            socket.Dispose();
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw; // unreachable
        }

        if (!completed)
        {
            // Disposing aborts the pending connect; observe its fault so it is not reported as unobserved.
            socket.Dispose();
            _ = connect.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            throw new TimeoutException($"Connecting to {_remote} took longer than {_connectTimeout}.");
        }

        _socket = socket;
        return socket;
    }

    internal static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = socket.Send(data, SocketFlags.None);
            if (sent <= 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            data = data.Slice(sent);
        }
    }

    private void Drop()
    {
        Socket? socket = Interlocked.Exchange(ref _socket, null);
        socket?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Drop();
        _gate.Dispose();
    }
}
