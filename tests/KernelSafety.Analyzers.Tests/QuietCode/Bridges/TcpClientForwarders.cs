using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Bridges
{
    /// <summary>
    /// Bridge over <see cref="TcpClient"/> and its <see cref="NetworkStream"/>. One client is kept for
    /// all writes; a failed write drops it and the next write reconnects. Connecting is bounded by a
    /// timeout so a wedged listener cannot hang the writer.
    /// </summary>
    public sealed class TcpClientForwarder : IByteSink, IDisposable
    {
        private readonly object _gate = new object();
        private readonly int _port;
        private readonly TimeSpan _connectTimeout;
        private TcpClient? _client;     // guarded by _gate
        private NetworkStream? _stream; // guarded by _gate
        private bool _disposed;         // guarded by _gate

        public TcpClientForwarder(int port = SocketForwarder.DefaultPort, TimeSpan? connectTimeout = null)
        {
            if (port < 1 || port > IPEndPoint.MaxPort)
            {
                throw new ArgumentOutOfRangeException(nameof(port));
            }

            _port = port;
            _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(3);
        }

        public int ConnectionCount { get; private set; }

        public void Write(byte[] buffer, int offset, int count)
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

            lock (_gate)
            {
                NetworkStream stream = GetStream();
                try
                {
                    stream.Write(buffer, offset, count);
                }
                catch (IOException)
                {
                    Drop();
                    throw;
                }
            }
        }

        public void Send(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }

            lock (_gate)
            {
                NetworkStream stream = GetStream();
                try
                {
                    stream.Write(data);
                }
                catch (IOException)
                {
                    Drop();
                    throw;
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                Drop();
            }
        }

        private NetworkStream GetStream()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is not null && _stream is not null && !SocketHealth.PeerClosed(_client.Client))
            {
                return _stream;
            }

            Drop();
            var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true, SendTimeout = 5000 };
            try
            {
                Task connecting = client.ConnectAsync(IPAddress.Loopback, _port);
                bool completed;
                try
                {
                    completed = connecting.Wait(_connectTimeout);
                }
                catch (AggregateException e) when (e.InnerException is not null)
                {
                    // Surface the SocketException itself, not the wrapper.
                    ExceptionDispatchInfo.Throw(e.InnerException);
                    throw;
                }

                if (!completed)
                {
                    // Closing the client (in the catch below) aborts the attempt; observe its fault.
                    connecting.ContinueWith(
                        static t => t.Exception?.Handle(static _ => true),
                        CancellationToken.None,
                        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                    throw new TimeoutException($"Connecting to 127.0.0.1:{_port} took longer than {_connectTimeout}.");
                }

                _stream = client.GetStream();
                _client = client;
                ConnectionCount++;
                return _stream;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        private void Drop()
        {
            _stream?.Dispose();
            _client?.Dispose();
            _stream = null;
            _client = null;
        }
    }

    /// <summary>
    /// Bridge written in the classic Begin/End style for callers that still use the APM. Each
    /// BeginConnect/BeginSend is paired with its End call; a send continues until all bytes are gone.
    /// </summary>
    public sealed class ApmSocketForwarder : IDisposable
    {
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private readonly IPEndPoint _endPoint;
        private readonly TimeSpan _connectTimeout;
        private Socket? _socket; // guarded by _gate
        private bool _disposed;  // guarded by _gate

        public ApmSocketForwarder(int port = SocketForwarder.DefaultPort, TimeSpan? connectTimeout = null)
        {
            _endPoint = new IPEndPoint(IPAddress.Loopback, port);
            _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(3);
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
                Socket socket = _socket is not null && !SocketHealth.PeerClosed(_socket) ? _socket : Reconnect();
                var operation = new SendOperation(socket, buffer, offset, count);
                operation.Start();
                try
                {
                    await operation.Completion.ConfigureAwait(false);
                }
                catch
                {
                    DropSocket();
                    throw;
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
            }
            finally
            {
                _gate.Release();
            }
        }

        private Socket Reconnect()
        {
            DropSocket();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                IAsyncResult pending = socket.BeginConnect(_endPoint, null, null);
                if (!pending.AsyncWaitHandle.WaitOne(_connectTimeout))
                {
                    socket.Close();
                    try
                    {
                        // Pair the Begin call even though the attempt was abandoned; it now fails with
                        // ObjectDisposedException or SocketException, which the timeout below replaces.
                        socket.EndConnect(pending);
                    }
                    catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                    {
                    }

                    throw new TimeoutException($"Connecting to {_endPoint} took longer than {_connectTimeout}.");
                }

                socket.EndConnect(pending); // throws SocketException when the connection was refused
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
            return socket;
        }

        private void DropSocket()
        {
            _socket?.Dispose();
            _socket = null;
        }

        private sealed class SendOperation
        {
            private readonly TaskCompletionSource _completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            private readonly Socket _socket;
            private readonly byte[] _buffer;
            private int _offset;
            private int _remaining;

            public SendOperation(Socket socket, byte[] buffer, int offset, int count)
            {
                _socket = socket;
                _buffer = buffer;
                _offset = offset;
                _remaining = count;
            }

            public Task Completion => _completion.Task;

            public void Start() => SendNext();

            private void SendNext()
            {
                try
                {
                    _socket.BeginSend(_buffer, _offset, _remaining, SocketFlags.None, OnSent, null);
                }
                catch (Exception e)
                {
                    _completion.TrySetException(e);
                }
            }

            private void OnSent(IAsyncResult result)
            {
                try
                {
                    int sent = _socket.EndSend(result);
                    if (sent <= 0)
                    {
                        throw new IOException("The connection accepted no bytes.");
                    }

                    _offset += sent;
                    _remaining -= sent;
                    if (_remaining > 0)
                    {
                        SendNext();
                        return;
                    }

                    _completion.TrySetResult();
                }
                catch (Exception e)
                {
                    _completion.TrySetException(e);
                }
            }
        }
    }

    /// <summary>Operational helpers that talk to the bridge's listener outside the write path.</summary>
    public static class BridgeMaintenance
    {
        /// <summary>
        /// Checks that something listens on 127.0.0.1:<paramref name="port"/>. Sends nothing; meant for
        /// start-up and health endpoints, not for the data path.
        /// </summary>
        public static async Task<bool> IsListeningAsync(int port, TimeSpan timeout)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel.Token).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return false;
            }
        }

        /// <summary>
        /// Replays a spool file of fixed-size records that piled up while the listener was down. The whole
        /// file goes over one connection; records are read with a pooled buffer and sent by the length
        /// each read actually produced. Returns the number of bytes sent.
        /// </summary>
        public static long ReplaySpool(string spoolPath, int port = SocketForwarder.DefaultPort)
        {
            const int chunkSize = 16 * 1024;
            using var spool = new FileStream(spoolPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, port);

            byte[] chunk = ArrayPool<byte>.Shared.Rent(chunkSize);
            try
            {
                long total = 0;
                int read;
                while ((read = spool.Read(chunk, 0, chunkSize)) > 0)
                {
                    int sent = 0;
                    while (sent < read)
                    {
                        sent += socket.Send(chunk, sent, read - sent, SocketFlags.None);
                    }

                    total += read;
                }

                socket.Shutdown(SocketShutdown.Send);
                return total;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }
    }
}
