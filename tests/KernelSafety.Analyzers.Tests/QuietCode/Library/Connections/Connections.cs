using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Net.Sockets;

namespace Quiet.Net.Connections
{
    /// <summary>A connected, message-agnostic byte pipe.</summary>
    public interface IConnection : IAsyncDisposable
    {
        EndPoint RemoteEndPoint { get; }

        /// <summary>False once the connection has failed or been disposed.</summary>
        bool IsUsable { get; }

        /// <summary>Sends all of <paramref name="data"/> or throws.</summary>
        ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

        /// <summary>Receives up to <c>buffer.Length</c> bytes; 0 means the peer closed its side.</summary>
        ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
    }

    /// <summary>Opens connections. Implementations decide whether a call really dials.</summary>
    public interface IConnectionFactory
    {
        ValueTask<IConnection> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default);
    }

    /// <summary>Options for <see cref="SocketConnectionFactory"/>.</summary>
    public sealed class SocketConnectionOptions
    {
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

        public bool NoDelay { get; set; } = true;

        public bool KeepAlive { get; set; } = true;
    }

    /// <summary>A TCP connection over a <see cref="Socket"/>. Concurrent senders are serialized.</summary>
    public sealed class SocketConnection : IConnection
    {
        private readonly Socket _socket;
        private readonly SemaphoreSlim _sendLock = new SemaphoreSlim(1, 1);
        private volatile bool _faulted;
        private int _disposed;

        internal SocketConnection(Socket socket)
        {
            _socket = socket;
            RemoteEndPoint = socket.RemoteEndPoint ?? throw new ArgumentException("The socket is not connected.", nameof(socket));
        }

        public EndPoint RemoteEndPoint { get; }

        public bool IsUsable => !_faulted && Volatile.Read(ref _disposed) == 0;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _socket.SendAllAsync(data, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or System.IO.IOException or OperationCanceledException)
            {
                // A send interrupted half-way leaves an unknown prefix on the wire: the stream is unusable.
                _faulted = true;
                throw;
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            try
            {
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0 && !buffer.IsEmpty)
                {
                    _faulted = true;
                }

                return received;
            }
            catch (SocketException)
            {
                _faulted = true;
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                try
                {
                    _socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                    // The peer may already be gone; closing below is what matters.
                }
                finally
                {
                    _socket.Dispose();
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Dials a new TCP connection on every call. Usually wrapped by <see cref="CachingConnectionFactory"/>.</summary>
    public sealed class SocketConnectionFactory : IConnectionFactory
    {
        private readonly SocketConnectionOptions _options;

        public SocketConnectionFactory(SocketConnectionOptions? options = null)
        {
            _options = options ?? new SocketConnectionOptions();
        }

        public async ValueTask<IConnection> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(remoteEndPoint);

            AddressFamily family = remoteEndPoint.AddressFamily;
            if (family == AddressFamily.Unspecified)
            {
                // A DnsEndPoint: a dual-mode socket can reach whichever address family the name resolves to.
                family = Socket.OSSupportsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            }

            var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (family == AddressFamily.InterNetworkV6 && remoteEndPoint is DnsEndPoint)
                {
                    socket.DualMode = true;
                }

                socket.NoDelay = _options.NoDelay;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, _options.KeepAlive);
                await socket.ConnectAsync(remoteEndPoint, _options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                return new SocketConnection(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Keeps one live connection per endpoint and hands it out to every caller. A connection is dialed
    /// only when there is none or the cached one is no longer usable; concurrent first callers share one dial.
    /// </summary>
    /// <remarks>
    /// Connections returned by this factory are owned by it: callers must not dispose them, and should call
    /// <see cref="InvalidateAsync"/> when they observe a failure.
    /// </remarks>
    public sealed class CachingConnectionFactory : IConnectionFactory, IAsyncDisposable
    {
        private readonly IConnectionFactory _inner;
        private readonly ConcurrentDictionary<EndPoint, Entry> _entries = new ConcurrentDictionary<EndPoint, Entry>();
        private int _disposed;

        public CachingConnectionFactory(IConnectionFactory inner)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        }

        public async ValueTask<IConnection> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(remoteEndPoint);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

            Entry entry = _entries.GetOrAdd(remoteEndPoint, static _ => new Entry());
            IConnection? current = entry.Connection;
            if (current is { IsUsable: true })
            {
                return current;
            }

            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                current = entry.Connection;
                if (current is { IsUsable: true })
                {
                    return current; // another caller reconnected while we waited
                }

                if (current is not null)
                {
                    entry.Connection = null;
                    await current.DisposeAsync().ConfigureAwait(false);
                }

                IConnection fresh = await _inner.ConnectAsync(remoteEndPoint, cancellationToken).ConfigureAwait(false);
                entry.Connection = fresh;
                return fresh;
            }
            finally
            {
                entry.Gate.Release();
            }
        }

        /// <summary>Drops <paramref name="connection"/> from the cache if it is still the cached one.</summary>
        public async ValueTask InvalidateAsync(IConnection connection)
        {
            ArgumentNullException.ThrowIfNull(connection);

            // The cache key is the endpoint the caller asked for (possibly a DnsEndPoint), which can differ from
            // the connection's resolved RemoteEndPoint, so look the connection up by identity.
            foreach (var pair in _entries)
            {
                Entry entry = pair.Value;
                if (!ReferenceEquals(entry.Connection, connection))
                {
                    continue;
                }

                await entry.Gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    if (ReferenceEquals(entry.Connection, connection))
                    {
                        entry.Connection = null;
                    }
                }
                finally
                {
                    entry.Gate.Release();
                }

                break;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            foreach (var pair in _entries)
            {
                IConnection? connection = pair.Value.Connection;
                pair.Value.Connection = null;
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            _entries.Clear();
        }

        private sealed class Entry
        {
            public readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);

            public volatile IConnection? Connection;
        }
    }

    /// <summary>Reachability checks for load balancers and readiness endpoints.</summary>
    public static class ConnectionHealthProbe
    {
        /// <summary>
        /// Returns true if a TCP handshake with <paramref name="remoteEndPoint"/> completes within
        /// <paramref name="timeout"/>. No application data is exchanged; the probe socket is closed right away.
        /// </summary>
        public static async ValueTask<bool> IsReachableAsync(EndPoint remoteEndPoint, TimeSpan timeout,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(remoteEndPoint);

            bool byName = remoteEndPoint.AddressFamily == AddressFamily.Unspecified;
            AddressFamily family = !byName
                ? remoteEndPoint.AddressFamily
                : Socket.OSSupportsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            using var probe = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (byName && family == AddressFamily.InterNetworkV6)
                {
                    probe.DualMode = true;
                }

                await probe.ConnectAsync(remoteEndPoint, timeout, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// A small hand-written retry policy: a bounded number of attempts with capped exponential back-off and
    /// optional jitter. Cancellation requested by the caller is never retried.
    /// </summary>
    public sealed class RetryPolicy
    {
        public static RetryPolicy Default { get; } = new RetryPolicy();

        /// <summary>Total number of attempts, the first one included.</summary>
        public int MaxAttempts { get; init; } = 4;

        public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

        public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

        public bool UseJitter { get; init; } = true;

        /// <summary>Decides whether a failure is worth another attempt.</summary>
        public Func<Exception, bool> ShouldRetry { get; init; } = IsTransient;

        /// <summary>Called before each wait, with the failure and the number of the attempt that failed.</summary>
        public Action<Exception, int>? OnRetry { get; init; }

        public static bool IsTransient(Exception exception) => exception switch
        {
            SocketException socket => socket.SocketErrorCode is not (SocketError.AccessDenied
                or SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported),
            IOException or TimeoutException => true,
            _ => false,
        };

        /// <summary>The wait after the failed attempt number <paramref name="failedAttempt"/> (1-based).</summary>
        public TimeSpan GetDelay(int failedAttempt)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(failedAttempt);

            double exponent = Math.Min(failedAttempt - 1, 30);
            double ms = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
            if (UseJitter)
            {
                // "Equal jitter": keep half of the delay, randomize the other half.
                ms = (ms / 2) + (Random.Shared.NextDouble() * ms / 2);
            }

            return TimeSpan.FromMilliseconds(ms);
        }

        public async ValueTask<T> ExecuteAsync<T>(Func<int, CancellationToken, ValueTask<T>> action,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(action);
            if (MaxAttempts < 1)
            {
                throw new InvalidOperationException("MaxAttempts must be at least 1.");
            }

            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await action(attempt, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (attempt < MaxAttempts
                                           && !cancellationToken.IsCancellationRequested
                                           && ShouldRetry(ex))
                {
                    OnRetry?.Invoke(ex, attempt);
                    await Task.Delay(GetDelay(attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public async ValueTask ExecuteAsync(Func<int, CancellationToken, ValueTask> action,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(action);
            await ExecuteAsync<bool>(async (attempt, token) =>
            {
                await action(attempt, token).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends messages to one endpoint over a single long-lived connection, reconnecting (with back-off)
    /// only after that connection has failed.
    /// </summary>
    /// <remarks>
    /// Delivery is at-least-once: a message whose send failed part-way is sent again in full on the new
    /// connection, so the receiving protocol must tolerate duplicates (for example with message ids).
    /// The sender owns the connections it obtains, so give it a factory that dials, not a caching one.
    /// </remarks>
    public sealed class ResilientSender : IAsyncDisposable
    {
        private readonly IConnectionFactory _factory;
        private readonly EndPoint _endPoint;
        private readonly RetryPolicy _policy;
        private readonly SemaphoreSlim _connectGate = new SemaphoreSlim(1, 1);
        private IConnection? _connection;
        private long _reconnects;
        private bool _disposed;

        public ResilientSender(IConnectionFactory factory, EndPoint endPoint, RetryPolicy? policy = null)
        {
            _factory = factory ?? throw new ArgumentNullException(nameof(factory));
            _endPoint = endPoint ?? throw new ArgumentNullException(nameof(endPoint));
            _policy = policy ?? RetryPolicy.Default;
        }

        /// <summary>How many times a failed connection has been replaced.</summary>
        public long Reconnects => Interlocked.Read(ref _reconnects);

        public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _policy.ExecuteAsync(async (attempt, token) =>
            {
                IConnection connection = await GetConnectionAsync(token).ConfigureAwait(false);
                try
                {
                    await connection.SendAsync(message, token).ConfigureAwait(false);
                }
                catch (ObjectDisposedException ex) when (!_disposed)
                {
                    // A concurrent send failed on the same connection and closed it; a fresh one is dialed
                    // on the next attempt.
                    throw new IOException("The connection was closed after a concurrent failure.", ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    await DropAsync(connection).ConfigureAwait(false);
                    throw;
                }
            }, cancellationToken);
        }

        private async ValueTask<IConnection> GetConnectionAsync(CancellationToken cancellationToken)
        {
            IConnection? current = Volatile.Read(ref _connection);
            if (current is { IsUsable: true })
            {
                return current;
            }

            await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                current = _connection;
                if (current is { IsUsable: true })
                {
                    return current;
                }

                if (current is not null)
                {
                    _connection = null;
                    Interlocked.Increment(ref _reconnects);
                    await current.DisposeAsync().ConfigureAwait(false);
                }

                IConnection fresh = await _factory.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _connection, fresh);
                return fresh;
            }
            finally
            {
                _connectGate.Release();
            }
        }

        private async ValueTask DropAsync(IConnection failed)
        {
            bool wasCurrent;
            await _connectGate.WaitAsync().ConfigureAwait(false);
            try
            {
                wasCurrent = ReferenceEquals(_connection, failed);
                if (wasCurrent)
                {
                    _connection = null;
                    Interlocked.Increment(ref _reconnects);
                }
            }
            finally
            {
                _connectGate.Release();
            }

            if (wasCurrent)
            {
                await failed.DisposeAsync().ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            IConnection? connection;
            await _connectGate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                connection = _connection;
                _connection = null;
            }
            finally
            {
                _connectGate.Release();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
