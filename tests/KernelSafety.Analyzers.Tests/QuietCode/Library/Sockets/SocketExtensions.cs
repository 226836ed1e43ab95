using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Net.Sockets
{
    /// <summary>Helpers that give <see cref="Socket"/> all-or-nothing send and receive semantics.</summary>
    public static class SocketExtensions
    {
        /// <summary>
        /// Sends every byte of <paramref name="data"/>, looping over partial sends.
        /// </summary>
        public static async ValueTask SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(socket);

            while (!data.IsEmpty)
            {
                int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (sent <= 0)
                {
                    // A stream socket that accepts nothing for a non-empty buffer is not going to make progress.
                    throw new IOException($"The socket accepted no data with {data.Length} bytes still to send.");
                }

                data = data.Slice(sent);
            }
        }

        /// <summary>
        /// Sends every byte of <paramref name="data"/> on a socket that may be in non-blocking mode.
        /// When the send buffer is full the call waits up to <paramref name="stallTimeout"/> for it to drain.
        /// </summary>
        /// <returns>The number of bytes sent, which is always <c>data.Length</c>.</returns>
        public static int SendAll(this Socket socket, ReadOnlySpan<byte> data, TimeSpan stallTimeout)
        {
            ArgumentNullException.ThrowIfNull(socket);
            int stallMicroseconds = ToPollMicroseconds(stallTimeout);

            int total = 0;
            while (total < data.Length)
            {
                int sent = socket.Send(data.Slice(total), SocketFlags.None, out SocketError error);
                switch (error)
                {
                    case SocketError.Success:
                        if (sent == 0)
                        {
                            throw new IOException($"The socket accepted no data with {data.Length - total} bytes still to send.");
                        }

                        total += sent;
                        break;

                    case SocketError.WouldBlock:
                    case SocketError.IOPending:
                    case SocketError.NoBufferSpaceAvailable:
                        // Part of the data may still have been taken before the buffer filled up.
                        total += sent;
                        if (!socket.Poll(stallMicroseconds, SelectMode.SelectWrite))
                        {
                            throw new TimeoutException(
                                $"The socket did not accept data for {stallTimeout}; {data.Length - total} bytes were not sent.");
                        }

                        break;

                    case SocketError.Interrupted:
                        total += sent;
                        break;

                    default:
                        throw new SocketException((int)error);
                }
            }

            return total;
        }

        /// <summary>Receives exactly <c>buffer.Length</c> bytes or throws <see cref="EndOfStreamException"/>.</summary>
        public static async ValueTask ReadExactlyAsync(this Socket socket, Memory<byte> buffer,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(socket);

            int total = 0;
            while (total < buffer.Length)
            {
                int received = await socket.ReceiveAsync(buffer.Slice(total), SocketFlags.None, cancellationToken)
                    .ConfigureAwait(false);
                if (received == 0)
                {
                    throw new EndOfStreamException(
                        $"The peer closed the connection after {total} of {buffer.Length} bytes.");
                }

                total += received;
            }
        }

        /// <summary>
        /// Receives at least <paramref name="minimumBytes"/> bytes (and at most <c>buffer.Length</c>).
        /// Returns the number received, which is smaller than the minimum only if the peer closed the connection.
        /// </summary>
        public static async ValueTask<int> ReadAtLeastAsync(this Socket socket, Memory<byte> buffer, int minimumBytes,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(socket);
            ArgumentOutOfRangeException.ThrowIfNegative(minimumBytes);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumBytes, buffer.Length);

            int total = 0;
            while (total < minimumBytes)
            {
                int received = await socket.ReceiveAsync(buffer.Slice(total), SocketFlags.None, cancellationToken)
                    .ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                total += received;
            }

            return total;
        }

        /// <summary>Connects with a deadline, turning expiry into <see cref="TimeoutException"/>.</summary>
        public static async ValueTask ConnectAsync(this Socket socket, EndPoint remoteEndPoint, TimeSpan timeout,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(socket);
            ArgumentNullException.ThrowIfNull(remoteEndPoint);

            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(remoteEndPoint, timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {remoteEndPoint} did not complete within {timeout}.");
            }
        }

        /// <summary>
        /// Synchronous connect with a deadline. On timeout the socket is closed, since a connect attempt that
        /// is still in flight leaves it in a state that cannot be reused.
        /// </summary>
        public static void Connect(this Socket socket, EndPoint remoteEndPoint, TimeSpan timeout)
        {
            ArgumentNullException.ThrowIfNull(socket);
            ArgumentNullException.ThrowIfNull(remoteEndPoint);

            Task connect = socket.ConnectAsync(remoteEndPoint);
            bool completed;
            try
            {
                completed = connect.Wait(timeout);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
                throw; // not reached
            }

            if (!completed)
            {
                // Observe the eventual failure caused by closing the socket so it is not reported as unobserved.
                _ = connect.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                socket.Close();
                throw new TimeoutException($"Connecting to {remoteEndPoint} did not complete within {timeout}.");
            }
        }

        /// <summary>
        /// Connects with the <see cref="SocketAsyncEventArgs"/> pattern and exposes the result as a task.
        /// Useful on code paths that already pool event args.
        /// </summary>
        public static Task ConnectWithEventArgsAsync(this Socket socket, EndPoint remoteEndPoint)
        {
            ArgumentNullException.ThrowIfNull(socket);
            ArgumentNullException.ThrowIfNull(remoteEndPoint);

            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var args = new SocketAsyncEventArgs
            {
                RemoteEndPoint = remoteEndPoint,
                UserToken = completion,
            };
            args.Completed += OnConnectCompleted;

            bool pending;
            try
            {
                pending = socket.ConnectAsync(args);
            }
            catch
            {
                args.Completed -= OnConnectCompleted;
                args.Dispose();
                throw;
            }

            if (!pending)
            {
                // Completed synchronously: the Completed event will not be raised, so finish here.
                OnConnectCompleted(socket, args);
            }

            return completion.Task;
        }

        private static void OnConnectCompleted(object? sender, SocketAsyncEventArgs args)
        {
            var completion = (TaskCompletionSource)args.UserToken!;
            SocketError error = args.SocketError;
            args.Completed -= OnConnectCompleted;
            args.Dispose();

            if (error == SocketError.Success)
            {
                completion.TrySetResult();
            }
            else
            {
                completion.TrySetException(new SocketException((int)error));
            }
        }

        private static int ToPollMicroseconds(TimeSpan timeout)
        {
            if (timeout == Timeout.InfiniteTimeSpan)
            {
                return -1;
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, nameof(timeout));
            double micro = timeout.TotalMilliseconds * 1000.0;
            return micro >= int.MaxValue ? int.MaxValue : (int)micro;
        }
    }
}
