using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Framing;

/// <summary>Handles one data frame; returns the reply payload, or null for no reply.</summary>
public delegate byte[]? FrameHandler(ReadOnlySpan<byte> payload);

/// <summary>
/// Async TcpListener accept loop serving length-prefixed frames.
/// Pings are answered with pongs, data frames are passed to the handler.
/// </summary>
public sealed class FramedTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly FrameHandler _handler;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private Task? _acceptLoop;
    private long _nextSessionId;

    public FramedTcpServer(IPAddress address, int port, FrameHandler handler)
    {
        ArgumentNullException.ThrowIfNull(address);
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _listener = new TcpListener(address, port);
    }

    /// <summary>Useful when the server was created with port 0 and the OS picked one.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start(int backlog = 128)
    {
        _listener.Start(backlog);
        _acceptLoop = AcceptLoopAsync(_shutdown.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // The peer gave up while queued in the backlog; keep accepting.
                continue;
            }

            long id = Interlocked.Increment(ref _nextSessionId);
            Task session = ServeAsync(client, cancellationToken);
            _sessions[id] = session;
            _ = session.ContinueWith(
                (_, state) => _sessions.TryRemove((long)state!, out Task? _),
                id,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            byte[] header = new byte[FrameCodec.HeaderSize];
            try
            {
                while (true)
                {
                    int got = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken)
                        .ConfigureAwait(false);
                    if (got == 0)
                    {
                        return; // orderly close between frames
                    }

                    if (got < header.Length || !FrameCodec.TryReadHeader(header, out FrameType type, out int length))
                    {
                        return; // truncated or malformed: drop the connection
                    }

                    byte[] payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                    try
                    {
                        await stream.ReadExactlyAsync(payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        switch (type)
                        {
                            case FrameType.Ping:
                                await stream.WriteAsync(FrameCodec.PongFrame, cancellationToken).ConfigureAwait(false);
                                break;
                            case FrameType.Close:
                                return;
                            case FrameType.Data:
                                byte[]? reply = _handler(payload.AsSpan(0, length));
                                if (reply is not null)
                                {
                                    // Encode returns an array sized exactly for the frame.
                                    byte[] frame = FrameCodec.Encode(FrameType.Data, reply);
                                    await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                                }

                                break;
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(payload);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
                // Reset by peer or truncated frame; the using block closes our side.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown.Cancel();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        _shutdown.Dispose();
    }
}

/// <summary>
/// Thread-per-connection echo/relay server in the older blocking style, using the APM accept pattern.
/// </summary>
public sealed class BlockingEchoServer : IDisposable
{
    private const int ChunkSize = 8192;

    private readonly Socket _listener;
    private volatile bool _stopping;

    public BlockingEchoServer(IPEndPoint bindTo)
    {
        _listener = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(bindTo);
        _listener.Listen(64);
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public void Start() => _listener.BeginAccept(OnAccept, null);

    private void OnAccept(IAsyncResult result)
    {
        Socket peer;
        try
        {
            peer = _listener.EndAccept(result);
        }
        catch (ObjectDisposedException)
        {
            return; // listener closed
        }
        catch (SocketException)
        {
            if (!_stopping)
            {
                _listener.BeginAccept(OnAccept, null);
            }

            return;
        }

        if (!_stopping)
        {
            _listener.BeginAccept(OnAccept, null);
        }

        var thread = new Thread(() => Echo(peer)) { IsBackground = true, Name = "echo " + peer.RemoteEndPoint };
        thread.Start();
    }

    private static void Echo(Socket peer)
    {
        using var stream = new NetworkStream(peer, ownsSocket: true);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                // Only the bytes this Read returned are echoed, never the whole rented array.
                stream.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies one stream to another until EOF; returns the number of bytes relayed.</summary>
    public static long Relay(Stream source, Stream destination)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long total = 0;
        try
        {
            while (true)
            {
                int n = source.Read(buffer.AsSpan(0, ChunkSize));
                if (n == 0)
                {
                    return total;
                }

                destination.Write(buffer.AsSpan(0, n));
                total += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
    }
}
