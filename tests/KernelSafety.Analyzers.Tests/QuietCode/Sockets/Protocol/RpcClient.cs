using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Protocol;

/// <summary>
/// Request/response wire format shared by both clients:
/// <c>[u32 BE length of what follows][u32 BE request id][u16 BE opcode][body]</c>.
/// </summary>
public static class RpcWire
{
    public const int LengthPrefixSize = 4;
    public const int EnvelopeSize = 6; // request id + opcode
    public const int HeaderSize = LengthPrefixSize + EnvelopeSize;
    public const int MaxBodySize = 4 * 1024 * 1024;
    public const ushort OpRedirect = 0xFFFE;
    public const ushort OpError = 0xFFFF;

    // Sent verbatim at the start of every connection; never modified.
    private static readonly byte[] s_hello = "QRPC\0\0\0\u0001"u8.ToArray();

    public static ReadOnlyMemory<byte> Hello => s_hello;

    public static int WriteHeader(Span<byte> destination, uint requestId, ushort opcode, int bodyLength)
    {
        if ((uint)bodyLength > MaxBodySize)
        {
            throw new ArgumentOutOfRangeException(nameof(bodyLength));
        }

        BinaryPrimitives.WriteInt32BigEndian(destination, EnvelopeSize + bodyLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), opcode);
        return HeaderSize;
    }

    /// <summary>Redirect body: <c>[u8 address length (4 or 16)][address][u16 BE port]</c>.</summary>
    public static bool TryParseRedirect(ReadOnlySpan<byte> body, out IPEndPoint? target)
    {
        target = null;
        if (body.IsEmpty)
        {
            return false;
        }

        int addressLength = body[0];
        if ((addressLength != 4 && addressLength != 16) || body.Length != 1 + addressLength + 2)
        {
            return false;
        }

        var address = new IPAddress(body.Slice(1, addressLength));
        int port = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(1 + addressLength));
        target = new IPEndPoint(address, port);
        return true;
    }

    public static int WriteRedirect(Span<byte> destination, IPEndPoint target)
    {
        Span<byte> address = stackalloc byte[16];
        if (!target.Address.TryWriteBytes(address, out int addressLength))
        {
            throw new InvalidOperationException("Unexpected address size.");
        }

        int needed = 1 + addressLength + 2;
        if (destination.Length < needed)
        {
            throw new ArgumentException("Destination too small for a redirect body.", nameof(destination));
        }

        destination[0] = (byte)addressLength;
        address.Slice(0, addressLength).CopyTo(destination.Slice(1));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(1 + addressLength), (ushort)target.Port);
        return needed;
    }
}

public sealed class RpcException : Exception
{
    public RpcException(string message) : base(message)
    {
    }
}

public sealed class RedirectException : Exception
{
    public RedirectException(IPEndPoint target) : base($"Server redirected the request to {target}.") => Target = target;

    public IPEndPoint Target { get; }
}

/// <summary>
/// Multiplexed client: many requests in flight on one connection, matched by request id
/// by a single background reader.
/// </summary>
public sealed class RpcClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<(ushort Opcode, byte[] Body)>> _inFlight = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;
    private volatile bool _dead;
    private int _nextId;

    private RpcClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = Task.Run(() => ReadLoopAsync(_closing.Token));
    }

    public static async Task<RpcClient> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            await client.GetStream().WriteAsync(RpcWire.Hello, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return new RpcClient(client);
    }

    public async Task<byte[]> CallAsync(ushort opcode, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (body.Length > RpcWire.MaxBodySize)
        {
            throw new ArgumentOutOfRangeException(nameof(body));
        }

        uint id = unchecked((uint)Interlocked.Increment(ref _nextId));
        var pending = new TaskCompletionSource<(ushort, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inFlight.TryAdd(id, pending))
        {
            throw new InvalidOperationException("Request id wrapped onto a request that is still in flight.");
        }

        // Checked after registering: either this sees the flag, or the dying reader sees the entry.
        if (_dead)
        {
            _inFlight.TryRemove(id, out _);
            throw new IOException("The connection is closed.");
        }

        int total = RpcWire.HeaderSize + body.Length;
        byte[] request = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            RpcWire.WriteHeader(request, id, opcode, body.Length);
            body.Span.CopyTo(request.AsSpan(RpcWire.HeaderSize));

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Not cancellable once started: abandoning a half-written frame would corrupt the stream for everyone.
                await _stream.WriteAsync(request.AsMemory(0, total), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }

            (ushort replyOp, byte[] reply) = await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            switch (replyOp)
            {
                case RpcWire.OpError:
                    throw new RpcException(System.Text.Encoding.UTF8.GetString(reply));
                case RpcWire.OpRedirect:
                    throw RpcWire.TryParseRedirect(reply, out IPEndPoint? target)
                        ? new RedirectException(target!)
                        : new RpcException("Malformed redirect.");
                default:
                    return reply;
            }
        }
        finally
        {
            _inFlight.TryRemove(id, out _);
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>Calls and copies the reply into <paramref name="destination"/>; returns its length.</summary>
    public async Task<int> CallIntoAsync(ushort opcode, ReadOnlyMemory<byte> body, byte[] destination, TimeSpan timeout)
    {
        byte[] reply = await CallAsync(opcode, body, timeout).ConfigureAwait(false);
        if (reply.Length > destination.Length)
        {
            throw new ArgumentException($"Reply of {reply.Length} bytes does not fit in {destination.Length}.", nameof(destination));
        }

        Array.Copy(reply, destination, reply.Length);
        return reply.Length;
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        byte[] header = new byte[RpcWire.HeaderSize];
        Exception? failure = null;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
                int length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length < RpcWire.EnvelopeSize || length - RpcWire.EnvelopeSize > RpcWire.MaxBodySize)
                {
                    throw new InvalidDataException($"Invalid reply length {length}.");
                }

                uint id = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                ushort opcode = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(8));
                byte[] body = new byte[length - RpcWire.EnvelopeSize];
                await _stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);

                // A reply for a request that already timed out is read fully and dropped.
                if (_inFlight.TryGetValue(id, out TaskCompletionSource<(ushort, byte[])>? waiter))
                {
                    waiter.TrySetResult((opcode, body));
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        _dead = true;

        foreach (TaskCompletionSource<(ushort, byte[])> waiter in _inFlight.Values)
        {
            waiter.TrySetException(new IOException("Connection closed while waiting for a reply.", failure));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _client.Dispose();
        await _reader.ConfigureAwait(false);
        _closing.Dispose();
        _writeLock.Dispose();
    }
}

/// <summary>One request at a time over a blocking NetworkStream, with read/write timeouts.</summary>
public sealed class BlockingRpcClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly object _lock = new();
    private uint _nextId;
    private bool _broken;

    public BlockingRpcClient(IPEndPoint server, TimeSpan ioTimeout)
    {
        _client = new TcpClient(server.AddressFamily) { NoDelay = true };
        try
        {
            _client.Connect(server);
            _stream = _client.GetStream();
            _stream.ReadTimeout = (int)ioTimeout.TotalMilliseconds;
            _stream.WriteTimeout = (int)ioTimeout.TotalMilliseconds;
            _stream.Write(RpcWire.Hello.Span);
        }
        catch
        {
            _client.Dispose();
            throw;
        }
    }

    public byte[] Call(ushort opcode, byte[] body, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > body.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        lock (_lock)
        {
            if (_broken)
            {
                throw new IOException("An earlier call failed mid-exchange; create a new client.");
            }

            try
            {
                return CallLocked(opcode, body, offset, count);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                // After a timeout or a bad reply the stream position is unknown; never reuse it.
                _broken = true;
                _client.Dispose();
                throw;
            }
        }
    }

    private byte[] CallLocked(ushort opcode, byte[] body, int offset, int count)
    {
        uint id = unchecked(++_nextId);
        Span<byte> header = stackalloc byte[RpcWire.HeaderSize];
        RpcWire.WriteHeader(header, id, opcode, count);
        _stream.Write(header);
        _stream.Write(body, offset, count);

        Span<byte> replyHeader = stackalloc byte[RpcWire.HeaderSize];
        _stream.ReadExactly(replyHeader);
        int length = BinaryPrimitives.ReadInt32BigEndian(replyHeader);
        if (length < RpcWire.EnvelopeSize || length - RpcWire.EnvelopeSize > RpcWire.MaxBodySize)
        {
            throw new InvalidDataException($"Invalid reply length {length}.");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(replyHeader.Slice(4)) != id)
        {
            throw new InvalidDataException("Reply does not match the outstanding request.");
        }

        var reply = new byte[length - RpcWire.EnvelopeSize];
        _stream.ReadExactly(reply);
        return reply;
    }

    public void Dispose() => _client.Dispose();
}
