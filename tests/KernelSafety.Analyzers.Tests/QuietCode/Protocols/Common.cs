using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Protocols.Common
{
    /// <summary>Thrown when a peer sends bytes that violate the wire protocol.</summary>
    public sealed class WireFormatException : Exception
    {
        public WireFormatException(string message) : base(message) { }
        public WireFormatException(string message, Exception inner) : base(message, inner) { }
    }

    /// <summary>Marks a field whose value is stored in network (big-endian) byte order.</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
    public sealed class NetworkByteOrderAttribute : Attribute
    {
    }

    /// <summary>Conversions for 16-bit values that travel in network (big-endian) order.</summary>
    public static class NetOrder
    {
        public static ushort HostToNetwork(ushort value) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

        public static ushort NetworkToHost(ushort value) =>
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

        public static ushort CheckedPort(int port)
        {
            if ((uint)port > IPEndPoint.MaxPort)
            {
                throw new ArgumentOutOfRangeException(nameof(port), port, "A TCP/UDP port is 0..65535.");
            }
            return (ushort)port;
        }
    }

    /// <summary>Send/receive helpers that never lose a partial transfer.</summary>
    public static class SocketIO
    {
        /// <summary>
        /// Sends every byte of <paramref name="data"/>. Works for blocking and non-blocking sockets:
        /// a would-block result waits for writability and the loop resumes where it stopped.
        /// </summary>
        public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                int sent = socket.Send(data, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock || error == SocketError.IOPending)
                {
                    // Nothing (or only part) left the buffer; wait until the kernel has room, honouring SendTimeout.
                    data = data.Slice(sent);
                    int waitMicroseconds = socket.SendTimeout > 0 ? (int)Math.Min(socket.SendTimeout * 1000L, int.MaxValue) : -1;
                    if (!socket.Poll(waitMicroseconds, SelectMode.SelectWrite))
                    {
                        throw new SocketException((int)SocketError.TimedOut);
                    }
                    continue;
                }
                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }
                if (sent <= 0)
                {
                    throw new IOException("The socket accepted no bytes.");
                }
                data = data.Slice(sent);
            }
        }

        public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            while (!data.IsEmpty)
            {
                int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (sent <= 0)
                {
                    throw new IOException("The socket accepted no bytes.");
                }
                data = data.Slice(sent);
            }
        }

        /// <summary>Receives exactly <c>buffer.Length</c> bytes or throws at end of stream.</summary>
        public static void ReceiveExactly(Socket socket, Span<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int received = socket.Receive(buffer, SocketFlags.None);
                if (received == 0)
                {
                    throw new EndOfStreamException("The peer closed the connection in the middle of a message.");
                }
                buffer = buffer.Slice(received);
            }
        }

        /// <summary>Reads exactly <c>buffer.Length</c> bytes from a stream or throws at end of stream.</summary>
        public static async ValueTask ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int read = await stream.ReadAsync(buffer.Slice(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException($"Expected {buffer.Length} bytes, the stream ended after {total}.");
                }
                total += read;
            }
        }

        /// <summary>Connects with a timeout using the task-based API; the socket is disposed on failure.</summary>
        public static async Task<Socket> ConnectTcpAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
        {
            NetOrder.CheckedPort(port);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(host, port, timeoutSource.Token).ConfigureAwait(false);
                return socket;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new TimeoutException($"Connecting to {host}:{port} took longer than {timeout}.");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>Synchronous connect with a timeout built on the task API; the result of the wait is checked.</summary>
        public static Socket ConnectWithTimeout(IPEndPoint endPoint, TimeSpan timeout)
        {
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            Task connect = socket.ConnectAsync(endPoint);
            bool completed;
            try
            {
                completed = connect.Wait(timeout);
            }
            catch (AggregateException ex) when (ex.InnerException is not null)
            {
                socket.Dispose();
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw; // unreachable, keeps the compiler's flow analysis honest
            }

            if (!completed)
            {
                socket.Dispose();
                // Observe the eventual failure caused by the dispose so it is not reported as unobserved.
                connect.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                throw new TimeoutException($"Connecting to {endPoint} took longer than {timeout}.");
            }
            return socket;
        }

        /// <summary>
        /// Connects with <see cref="SocketAsyncEventArgs"/>. When <c>ConnectAsync</c> returns false the operation
        /// finished synchronously and <c>Completed</c> will not be raised, so the result is handled inline.
        /// </summary>
        public static Task ConnectWithEventArgsAsync(Socket socket, EndPoint remote)
        {
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var args = new SocketAsyncEventArgs { RemoteEndPoint = remote, UserToken = completion };
            args.Completed += static (_, e) => Finish(e);

            bool pending;
            try
            {
                pending = socket.ConnectAsync(args);
            }
            catch
            {
                args.Dispose();
                throw;
            }

            if (!pending)
            {
                Finish(args);
            }
            return completion.Task;

            static void Finish(SocketAsyncEventArgs e)
            {
                var tcs = (TaskCompletionSource)e.UserToken!;
                SocketError error = e.SocketError;
                e.Dispose();
                if (error == SocketError.Success)
                {
                    tcs.TrySetResult();
                }
                else
                {
                    tcs.TrySetException(new SocketException((int)error));
                }
            }
        }
    }

    /// <summary>Byte pumps between streams, e.g. to forward a spooled log file to a live connection.</summary>
    public static class StreamRelay
    {
        /// <summary>Copies until the source ends; each write carries exactly the bytes the matching read returned.</summary>
        public static async Task<long> PumpAsync(Stream source, Stream destination, CancellationToken cancellationToken)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            long total = 0;
            try
            {
                while (true)
                {
                    int read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                    if (read == 0) return total;
                    await destination.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                    total += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Synchronous variant that forwards at most <paramref name="limit"/> bytes.</summary>
        public static long Pump(Stream source, Stream destination, long limit)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException(nameof(limit));
            byte[] buffer = new byte[16 * 1024];
            long total = 0;
            while (total < limit)
            {
                int want = (int)Math.Min(buffer.Length, limit - total);
                int read = source.Read(buffer, 0, want);
                if (read == 0) break;
                destination.Write(buffer, 0, read);
                total += read;
            }
            return total;
        }
    }

    /// <summary>Pooled, bounded byte buffers used while building frames.</summary>
    public static class FrameBuffers
    {
        /// <summary>Per-thread scratch space for small synchronous encodes; never shared between threads.</summary>
        [ThreadStatic]
        private static byte[]? t_scratch;

        public const int ScratchSize = 512;

        public static byte[] ThreadScratch => t_scratch ??= new byte[ScratchSize];

        /// <summary>Copies at most <paramref name="destination"/>.Length bytes and reports how many were copied.</summary>
        public static int CopyTruncated(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            int count = Math.Min(source.Length, destination.Length);
            source.Slice(0, count).CopyTo(destination);
            return count;
        }

        /// <summary>Copies a segment out of a caller's array after validating the segment against the array.</summary>
        public static byte[] CopySegment(byte[] source, int offset, int count)
        {
            if (source is null) throw new ArgumentNullException(nameof(source));
            if ((uint)offset > (uint)source.Length) throw new ArgumentOutOfRangeException(nameof(offset));
            if ((uint)count > (uint)(source.Length - offset)) throw new ArgumentOutOfRangeException(nameof(count));

            var copy = new byte[count];
            Buffer.BlockCopy(source, offset, copy, 0, count);
            return copy;
        }
    }

    /// <summary>Hex dumps for protocol traces. The one shared line buffer is only touched under its lock.</summary>
    public static class HexTrace
    {
        private static readonly byte[] s_hexDigits = "0123456789abcdef"u8.ToArray();
        private static readonly object s_lineGate = new object();
        private static readonly char[] s_line = new char[16 * 3];

        public static string Dump(ReadOnlySpan<byte> data, int maxBytes = 256)
        {
            var text = new StringBuilder();
            int limit = Math.Min(data.Length, maxBytes);
            lock (s_lineGate)
            {
                for (int row = 0; row < limit; row += 16)
                {
                    int rowLength = Math.Min(16, limit - row);
                    for (int i = 0; i < rowLength; i++)
                    {
                        byte b = data[row + i];
                        s_line[i * 3] = (char)s_hexDigits[b >> 4];
                        s_line[i * 3 + 1] = (char)s_hexDigits[b & 0xF];
                        s_line[i * 3 + 2] = ' ';
                    }
                    text.Append(row.ToString("x4")).Append(": ").Append(s_line, 0, rowLength * 3).AppendLine();
                }
            }
            if (limit < data.Length)
            {
                text.Append("... ").Append(data.Length - limit).AppendLine(" more bytes");
            }
            return text.ToString();
        }

        /// <summary>Decodes a received ASCII line for a log; only the bytes that were received are decoded.</summary>
        public static string AsciiForLog(byte[] buffer, int received)
        {
            if ((uint)received > (uint)buffer.Length) throw new ArgumentOutOfRangeException(nameof(received));
            return Encoding.ASCII.GetString(buffer, 0, Math.Min(received, 200));
        }
    }
}
