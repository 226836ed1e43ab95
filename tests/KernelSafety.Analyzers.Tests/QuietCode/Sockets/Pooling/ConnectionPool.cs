using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Pooling;

/// <summary>Exponential backoff with full jitter, capped.</summary>
public sealed class BackoffPolicy
{
    public BackoffPolicy(TimeSpan initial, TimeSpan max, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAttempts);
        if (initial <= TimeSpan.Zero || max < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(initial));
        }

        Initial = initial;
        Max = max;
        MaxAttempts = maxAttempts;
    }

    public TimeSpan Initial { get; }
    public TimeSpan Max { get; }
    public int MaxAttempts { get; }

    public TimeSpan DelayFor(int attempt)
    {
        double ceiling = Math.Min(Max.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}

public static class Connector
{
    /// <summary>Connects with a deadline, retrying with backoff. Every attempt is awaited.</summary>
    public static async Task<Socket> ConnectWithRetryAsync(EndPoint remote, TimeSpan attemptTimeout, BackoffPolicy backoff, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(attemptTimeout);
            try
            {
                await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                if (attempt + 1 >= backoff.MaxAttempts)
                {
                    throw new IOException($"Could not connect to {remote} after {attempt + 1} attempts.", ex);
                }
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            await Task.Delay(backoff.DelayFor(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Classic APM connect with a timeout, for code that has to stay synchronous.</summary>
    public static Socket ConnectBlocking(IPEndPoint remote, TimeSpan timeout)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            IAsyncResult pending = socket.BeginConnect(remote, null, null);
            if (!pending.AsyncWaitHandle.WaitOne(timeout))
            {
                throw new TimeoutException($"Connect to {remote} timed out after {timeout}.");
            }

            socket.EndConnect(pending); // throws SocketException if the connect failed
            return socket;
        }
        catch
        {
            socket.Dispose(); // closing also completes a still-pending BeginConnect
            throw;
        }
    }

    /// <summary>Tries every resolved address in order; a failed socket is disposed and never used.</summary>
    public static Socket ConnectFirstReachable(string host, int port)
    {
        IPAddress[] addresses = Dns.GetHostAddresses(host);
        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(new IPEndPoint(address, port));
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>
/// A bounded pool of connected sockets to one endpoint. Connections are reused across
/// requests; broken ones are discarded on return and replaced lazily.
/// </summary>
public sealed class TcpConnectionPool : IAsyncDisposable
{
    private readonly EndPoint _remote;
    private readonly BackoffPolicy _backoff;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _idleLimit;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<Lease> _idle = new();
    private volatile bool _disposed;

    public TcpConnectionPool(EndPoint remote, int maxConnections, TimeSpan connectTimeout, TimeSpan idleLimit, BackoffPolicy backoff)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        _remote = remote;
        _slots = new SemaphoreSlim(maxConnections, maxConnections);
        _connectTimeout = connectTimeout;
        _idleLimit = idleLimit;
        _backoff = backoff;
    }

    public async Task<Lease> RentAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_idle.TryTake(out Lease? lease))
            {
                if (lease.IsUsable(_idleLimit))
                {
                    lease.Activate();
                    return lease;
                }

                lease.Socket.Dispose();
            }

            Socket socket = await Connector.ConnectWithRetryAsync(_remote, _connectTimeout, _backoff, cancellationToken).ConfigureAwait(false);
            return new Lease(this, socket);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>Rents a connection, sends the whole buffer, and gives the connection back for the next caller.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        using Lease lease = await RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await lease.Socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (sent == 0)
                {
                    throw new IOException("Connection stopped accepting data.");
                }

                data = data.Slice(sent);
            }
        }
        catch
        {
            lease.Faulted = true; // a half-written message poisons the stream; do not reuse it
            throw;
        }
    }

    internal void Return(Lease lease, bool healthy)
    {
        if (healthy && !_disposed)
        {
            lease.LastUsed = Environment.TickCount64;
            _idle.Add(lease);
        }
        else
        {
            lease.Socket.Dispose();
        }

        _slots.Release();
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out Lease? lease))
        {
            lease.Socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    public sealed class Lease : IDisposable
    {
        private readonly TcpConnectionPool _owner;
        private int _returned;

        internal Lease(TcpConnectionPool owner, Socket socket)
        {
            _owner = owner;
            Socket = socket;
            LastUsed = Environment.TickCount64;
        }

        public Socket Socket { get; }
        internal long LastUsed { get; set; }
        public bool Faulted { get; set; }

        internal void Activate()
        {
            Faulted = false;
            Volatile.Write(ref _returned, 0);
        }

        internal bool IsUsable(TimeSpan idleLimit)
        {
            if (Environment.TickCount64 - LastUsed > (long)idleLimit.TotalMilliseconds)
            {
                return false;
            }

            // Readable with nothing to read means the peer closed (or reset) while idle.
            try
            {
                return !(Socket.Poll(0, SelectMode.SelectRead) && Socket.Available == 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                _owner.Return(this, !Faulted);
            }
        }
    }
}

/// <summary>
/// Graphite plaintext writer ("path value timestamp\n"). Keeps one connection open across
/// writes and reconnects, with backoff, only after a failure.
/// </summary>
public sealed class GraphiteWriter : IDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly BackoffPolicy _backoff;
    private readonly object _lock = new();
    private TcpClient? _client;
    private Stream? _stream;
    private int _failures;
    private long _nextAttemptTicks;

    public GraphiteWriter(string host, int port, BackoffPolicy backoff)
    {
        _host = host;
        _port = port;
        _backoff = backoff;
    }

    /// <summary>Returns false when the metric could not be delivered (the caller may buffer or drop it).</summary>
    public bool Write(string path, double value, DateTimeOffset timestamp)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"{path} {value:R} {timestamp.ToUnixTimeSeconds()}\n");
        byte[] payload = Encoding.ASCII.GetBytes(line);
        lock (_lock)
        {
            Stream? stream = _stream ?? TryConnectLocked();
            if (stream is null)
            {
                return false;
            }

            try
            {
                stream.Write(payload, 0, payload.Length);
                _failures = 0;
                return true;
            }
            catch (IOException)
            {
                CloseLocked();
                ScheduleRetryLocked();
                return false;
            }
        }
    }

    private Stream? TryConnectLocked()
    {
        if (Environment.TickCount64 < _nextAttemptTicks)
        {
            return null; // still backing off after the last failure
        }

        var client = new TcpClient();
        try
        {
            client.Connect(_host, _port);
        }
        catch (SocketException)
        {
            client.Dispose();
            ScheduleRetryLocked();
            return null;
        }

        _client = client;
        _stream = client.GetStream();
        return _stream;
    }

    private void ScheduleRetryLocked()
    {
        _failures++;
        _nextAttemptTicks = Environment.TickCount64 + (long)_backoff.DelayFor(_failures - 1).TotalMilliseconds;
    }

    private void CloseLocked()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _stream = null;
        _client = null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            CloseLocked();
        }
    }
}
