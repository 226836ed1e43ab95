using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Quiet.Bridges
{
    /// <summary>
    /// Asynchronous bridge: one persistent connection, writers serialized by a semaphore, every
    /// send awaited and continued until the whole message is out.
    /// </summary>
    public sealed class AsyncSocketForwarder : IAsyncDisposable, IDisposable
    {
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private readonly IPEndPoint _endPoint;
        private Socket? _socket; // guarded by _gate
        private bool _disposed;  // guarded by _gate

        public AsyncSocketForwarder(int port = SocketForwarder.DefaultPort)
        {
            _endPoint = new IPEndPoint(IPAddress.Loopback, port);
        }

        public int ConnectionCount { get; private set; }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            if (data.IsEmpty)
            {
                return;
            }

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Socket socket = await GetConnectedAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    ReadOnlyMemory<byte> remaining = data;
                    while (!remaining.IsEmpty)
                    {
                        int sent = await socket.SendAsync(remaining, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                        remaining = remaining.Slice(sent);
                    }
                }
                catch (Exception e) when (e is SocketException || e is OperationCanceledException)
                {
                    // Part of the message may already be on the wire, so the stream is no longer at a
                    // message boundary: it cannot carry the next message.
                    DropSocket();
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Sends <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
        public ValueTask WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            return WriteAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            // Waiting for the gate lets a write in progress finish instead of tearing its socket away.
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                _disposed = true;
                DropSocket();
            }
            finally
            {
                _gate.Release();
            }
        }

        public void Dispose()
        {
            _gate.Wait();
            try
            {
                _disposed = true;
                DropSocket();
            }
            finally
            {
                _gate.Release();
            }
        }

        private async ValueTask<Socket> GetConnectedAsync(CancellationToken cancellationToken)
        {
            if (_socket is not null && !SocketHealth.PeerClosed(_socket))
            {
                return _socket;
            }

            DropSocket();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            ConnectionCount++;
            _socket = socket;
            return socket;
        }

        private void DropSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    /// <summary>
    /// Fire-and-forget front end: <see cref="EnqueueAsync"/> copies the caller's bytes into a pooled
    /// array and returns; one background loop sends the queued messages, in order, over an
    /// <see cref="AsyncSocketForwarder"/>. Failed messages are counted, not retried.
    /// </summary>
    public sealed class QueuedSocketForwarder : IAsyncDisposable
    {
        private readonly Channel<PendingMessage> _queue;
        private readonly AsyncSocketForwarder _transport;
        private readonly Task _pump;
        private long _sentMessages;
        private long _failedMessages;

        public QueuedSocketForwarder(int port = SocketForwarder.DefaultPort, int capacity = 256)
        {
            if (capacity < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity));
            }

            _transport = new AsyncSocketForwarder(port);
            _queue = Channel.CreateBounded<PendingMessage>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _pump = Task.Run(PumpAsync);
        }

        public long SentMessages => Interlocked.Read(ref _sentMessages);

        public long FailedMessages => Interlocked.Read(ref _failedMessages);

        public Exception? LastError { get; private set; }

        /// <summary>
        /// Queues a copy of <paramref name="count"/> bytes. The copy is taken before the first await, so
        /// the caller may reuse <paramref name="buffer"/> as soon as this method returns.
        /// </summary>
        public async ValueTask EnqueueAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            if (count == 0)
            {
                return;
            }

            // Rent may hand back a larger array; the message length travels with it.
            byte[] copy = ArrayPool<byte>.Shared.Rent(count);
            Buffer.BlockCopy(buffer, offset, copy, 0, count);
            try
            {
                await _queue.Writer.WriteAsync(new PendingMessage(copy, count), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(copy);
                throw;
            }
        }

        /// <summary>Stops accepting messages, sends what is queued, then closes the connection.</summary>
        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            await _pump.ConfigureAwait(false);
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        private async Task PumpAsync()
        {
            ChannelReader<PendingMessage> reader = _queue.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out PendingMessage message))
                {
                    try
                    {
                        await _transport.WriteAsync(message.Buffer.AsMemory(0, message.Length)).ConfigureAwait(false);
                        Interlocked.Increment(ref _sentMessages);
                    }
                    catch (Exception e) when (e is SocketException || e is IOException)
                    {
                        // The transport has dropped the broken connection; the next message reconnects.
                        LastError = e;
                        Interlocked.Increment(ref _failedMessages);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(message.Buffer);
                    }
                }
            }
        }

        private readonly struct PendingMessage
        {
            public PendingMessage(byte[] buffer, int length)
            {
                Buffer = buffer;
                Length = length;
            }

            public byte[] Buffer { get; }

            public int Length { get; }
        }
    }

    /// <summary>
    /// The bridge written against <see cref="SocketAsyncEventArgs"/>, the allocation-free socket API.
    /// Both connect and send may complete synchronously (the call returns false and no Completed
    /// callback follows); <see cref="OperationArgs"/> turns either outcome into one awaitable result.
    /// </summary>
    public sealed class EventArgsSocketForwarder : IDisposable
    {
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private readonly OperationArgs _sendArgs = new OperationArgs(); // guarded by _gate
        private readonly IPEndPoint _endPoint;
        private Socket? _socket; // guarded by _gate
        private bool _disposed;  // guarded by _gate

        public EventArgsSocketForwarder(int port = SocketForwarder.DefaultPort)
        {
            _endPoint = new IPEndPoint(IPAddress.Loopback, port);
        }

        public async Task WriteAsync(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            if (count == 0)
            {
                return;
            }

            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Socket socket = await GetConnectedAsync().ConfigureAwait(false);

                int done = 0;
                try
                {
                    while (done < count)
                    {
                        _sendArgs.SetBuffer(buffer, offset + done, count - done);
                        Task<SocketError> pending = _sendArgs.Arm();
                        if (!socket.SendAsync(_sendArgs))
                        {
                            _sendArgs.CompleteSynchronously();
                        }

                        SocketError error = await pending.ConfigureAwait(false);
                        if (error != SocketError.Success)
                        {
                            DropSocket();
                            throw new SocketException((int)error);
                        }

                        if (_sendArgs.BytesTransferred == 0)
                        {
                            DropSocket();
                            throw new IOException("The connection accepted no bytes.");
                        }

                        done += _sendArgs.BytesTransferred;
                    }
                }
                finally
                {
                    // Do not keep the caller's array reachable from a long-lived object.
                    _sendArgs.SetBuffer(null, 0, 0);
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        public void Dispose()
        {
            _gate.Wait();
            try
            {
                _disposed = true;
                DropSocket();
                _sendArgs.Dispose();
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<Socket> GetConnectedAsync()
        {
            if (_socket is not null && !SocketHealth.PeerClosed(_socket))
            {
                return _socket;
            }

            DropSocket();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using (var connectArgs = new OperationArgs { RemoteEndPoint = _endPoint })
            {
                Task<SocketError> pending = connectArgs.Arm();
                bool started;
                try
                {
                    started = socket.ConnectAsync(connectArgs);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                if (!started)
                {
                    connectArgs.CompleteSynchronously();
                }

                SocketError error = await pending.ConfigureAwait(false);
                if (error != SocketError.Success)
                {
                    socket.Dispose();
                    throw new SocketException((int)error);
                }
            }

            _socket = socket;
            return socket;
        }

        private void DropSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }

        /// <summary>Event args whose completion, synchronous or not, resolves a task.</summary>
        private sealed class OperationArgs : SocketAsyncEventArgs
        {
            private TaskCompletionSource<SocketError>? _completion;

            /// <summary>Call before starting the operation, so an early Completed callback is not missed.</summary>
            public Task<SocketError> Arm()
            {
                var completion = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
                _completion = completion;
                return completion.Task;
            }

            /// <summary>Call when the XxxAsync method returned false: Completed will not be raised.</summary>
            public void CompleteSynchronously() => Complete();

            protected override void OnCompleted(SocketAsyncEventArgs e) => Complete();

            private void Complete()
            {
                TaskCompletionSource<SocketError>? completion = Interlocked.Exchange(ref _completion, null);
                completion?.TrySetResult(SocketError);
            }
        }
    }
}
