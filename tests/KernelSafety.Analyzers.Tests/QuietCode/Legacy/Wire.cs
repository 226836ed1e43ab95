using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Legacy
{
    /// <summary>
    /// Big-endian (network order) primitives over the classic byte[] + offset API.
    /// Every writer checks that the destination has room; every reader checks that the source holds the value.
    /// </summary>
    public static class Wire
    {
        public static void CheckRange(byte[] buffer, int offset, int count)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0) throw new ArgumentOutOfRangeException("offset");
            if (count < 0) throw new ArgumentOutOfRangeException("count");
            if (buffer.Length - offset < count)
                throw new ArgumentException("The buffer is too small for the requested range.");
        }

        public static void WriteInt16(byte[] buffer, int offset, short value)
        {
            CheckRange(buffer, offset, 2);
            byte[] bytes = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(value));
            Buffer.BlockCopy(bytes, 0, buffer, offset, bytes.Length);
        }

        public static void WriteUInt16(byte[] buffer, int offset, ushort value)
        {
            CheckRange(buffer, offset, 2);
            buffer[offset] = (byte)(value >> 8);
            buffer[offset + 1] = (byte)(value & 0xFF);
        }

        public static void WriteInt32(byte[] buffer, int offset, int value)
        {
            CheckRange(buffer, offset, 4);
            byte[] bytes = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(value));
            Buffer.BlockCopy(bytes, 0, buffer, offset, 4);
        }

        public static void WriteUInt32(byte[] buffer, int offset, uint value)
        {
            WriteInt32(buffer, offset, unchecked((int)value));
        }

        public static void WriteInt64(byte[] buffer, int offset, long value)
        {
            CheckRange(buffer, offset, 8);
            byte[] bytes = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(value));
            Array.Copy(bytes, 0, buffer, offset, bytes.Length);
        }

        /// <summary>Writes a TCP/UDP port (0..65535) in network order.</summary>
        public static void WritePort(byte[] buffer, int offset, int port)
        {
            if (port < IPEndPoint.MinPort || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port");
            CheckRange(buffer, offset, 2);
            short networkPort = IPAddress.HostToNetworkOrder(unchecked((short)port));
            byte[] bytes = BitConverter.GetBytes(networkPort);
            buffer[offset] = bytes[0];
            buffer[offset + 1] = bytes[1];
        }

        public static short ReadInt16(byte[] buffer, int offset)
        {
            CheckRange(buffer, offset, 2);
            return IPAddress.NetworkToHostOrder(BitConverter.ToInt16(buffer, offset));
        }

        public static ushort ReadUInt16(byte[] buffer, int offset)
        {
            CheckRange(buffer, offset, 2);
            return (ushort)((buffer[offset] << 8) | buffer[offset + 1]);
        }

        public static int ReadInt32(byte[] buffer, int offset)
        {
            CheckRange(buffer, offset, 4);
            return IPAddress.NetworkToHostOrder(BitConverter.ToInt32(buffer, offset));
        }

        public static uint ReadUInt32(byte[] buffer, int offset)
        {
            return unchecked((uint)ReadInt32(buffer, offset));
        }

        public static long ReadInt64(byte[] buffer, int offset)
        {
            CheckRange(buffer, offset, 8);
            return IPAddress.NetworkToHostOrder(BitConverter.ToInt64(buffer, offset));
        }

        /// <summary>Reads a port written by <see cref="WritePort"/> and returns it in host order.</summary>
        public static int ReadPort(byte[] buffer, int offset)
        {
            CheckRange(buffer, offset, 2);
            short raw = BitConverter.ToInt16(buffer, offset);
            return unchecked((ushort)IPAddress.NetworkToHostOrder(raw));
        }
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).</summary>
    public static class Crc32
    {
        // Built once by the type initializer from a local array and never written afterwards.
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < table.Length; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++)
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[i] = c;
            }
            return table;
        }

        public static uint Compute(byte[] buffer, int offset, int count)
        {
            return Finish(Update(Start(), buffer, offset, count));
        }

        public static uint Start()
        {
            return 0xFFFFFFFFu;
        }

        public static uint Update(uint state, byte[] buffer, int offset, int count)
        {
            Wire.CheckRange(buffer, offset, count);
            int end = offset + count;
            for (int i = offset; i < end; i++)
                state = Table[(state ^ buffer[i]) & 0xFF] ^ (state >> 8);
            return state;
        }

        public static uint Finish(uint state)
        {
            return state ^ 0xFFFFFFFFu;
        }
    }

    /// <summary>Blocking socket helpers shared by the synchronous code paths.</summary>
    public static class SocketHelpers
    {
        public const int DefaultConnectTimeoutMs = 5000;

        /// <summary>Sends the whole range on a blocking socket; Send may return after a partial write.</summary>
        public static void SendAll(Socket socket, byte[] buffer, int offset, int count)
        {
            if (socket == null) throw new ArgumentNullException("socket");
            Wire.CheckRange(buffer, offset, count);

            while (count > 0)
            {
                int sent = socket.Send(buffer, offset, count, SocketFlags.None);
                if (sent <= 0)
                    throw new SocketException((int)SocketError.ConnectionReset);
                offset += sent;
                count -= sent;
            }
        }

        /// <summary>
        /// Sends the whole range on a socket that may be non-blocking. Waits for writability with Poll
        /// and gives up when the deadline passes. Returns false with the socket error on failure.
        /// </summary>
        public static bool TrySendAll(Socket socket, byte[] buffer, int offset, int count, int timeoutMs, out SocketError error)
        {
            if (socket == null) throw new ArgumentNullException("socket");
            Wire.CheckRange(buffer, offset, count);
            if (timeoutMs < 0) throw new ArgumentOutOfRangeException("timeoutMs");

            int start = Environment.TickCount;
            while (count > 0)
            {
                SocketError sendError;
                int sent = socket.Send(buffer, offset, count, SocketFlags.None, out sendError);

                if (sendError == SocketError.WouldBlock || sendError == SocketError.NoBufferSpaceAvailable)
                {
                    int remainingMs = timeoutMs - unchecked(Environment.TickCount - start);
                    if (remainingMs <= 0 || !socket.Poll(ToMicroseconds(remainingMs), SelectMode.SelectWrite))
                    {
                        error = SocketError.TimedOut;
                        return false;
                    }
                    continue;
                }

                if (sendError != SocketError.Success)
                {
                    error = sendError;
                    return false;
                }

                if (sent == 0)
                {
                    error = SocketError.ConnectionReset;
                    return false;
                }

                offset += sent;
                count -= sent;
            }

            error = SocketError.Success;
            return true;
        }

        /// <summary>Receives exactly <paramref name="count"/> bytes or throws.</summary>
        public static void ReceiveExactly(Socket socket, byte[] buffer, int offset, int count, int timeoutMs)
        {
            if (socket == null) throw new ArgumentNullException("socket");
            Wire.CheckRange(buffer, offset, count);

            while (count > 0)
            {
                if (timeoutMs >= 0 && !socket.Poll(ToMicroseconds(timeoutMs), SelectMode.SelectRead))
                    throw new TimeoutException("No data received within " + timeoutMs + " ms.");

                int received = socket.Receive(buffer, offset, count, SocketFlags.None);
                if (received == 0)
                    throw new EndOfStreamException("The peer closed the connection with " + count + " bytes outstanding.");
                offset += received;
                count -= received;
            }
        }

        /// <summary>Reads exactly <paramref name="count"/> bytes from a stream or throws.</summary>
        public static void ReadFully(Stream stream, byte[] buffer, int offset, int count)
        {
            if (stream == null) throw new ArgumentNullException("stream");
            Wire.CheckRange(buffer, offset, count);

            while (count > 0)
            {
                int read = stream.Read(buffer, offset, count);
                if (read <= 0)
                    throw new EndOfStreamException("Stream ended with " + count + " bytes outstanding.");
                offset += read;
                count -= read;
            }
        }

        /// <summary>Connects with a timeout using the APM pattern; EndConnect is called on every path.</summary>
        public static Socket ConnectWithTimeout(IPEndPoint remote, int timeoutMs)
        {
            if (remote == null) throw new ArgumentNullException("remote");

            var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                IAsyncResult ar = socket.BeginConnect(remote, null, null);
                if (!ar.AsyncWaitHandle.WaitOne(timeoutMs))
                {
                    // Closing the socket aborts the pending connect; EndConnect then reports the abort.
                    socket.Close();
                    try
                    {
                        socket.EndConnect(ar);
                    }
                    catch (SocketException)
                    {
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                    throw new TimeoutException("Connecting to " + remote + " timed out after " + timeoutMs + " ms.");
                }

                socket.EndConnect(ar);
                socket.NoDelay = true;
                return socket;
            }
            catch
            {
                socket.Close();
                throw;
            }
        }

        /// <summary>
        /// Tries to connect several times with a growing pause. The failed socket is closed before the next
        /// attempt, and the last failure is rethrown: the caller never receives an unconnected socket.
        /// </summary>
        public static Socket ConnectWithRetry(IPEndPoint remote, int attempts, int initialDelayMs, int timeoutMs)
        {
            if (attempts < 1) throw new ArgumentOutOfRangeException("attempts");
            if (initialDelayMs < 0 || initialDelayMs > 30000) throw new ArgumentOutOfRangeException("initialDelayMs");

            int delay = initialDelayMs;
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return ConnectWithTimeout(remote, timeoutMs);
                }
                catch (Exception ex) when (ex is SocketException || ex is TimeoutException)
                {
                    if (attempt >= attempts)
                        throw;
                }

                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 30000);
            }
        }

        /// <summary>
        /// Task-based connect for .NET 4.5-era callers that still block. The bool from Wait(timeout) decides
        /// between success and TimeoutException; a late failure of the abandoned task is observed, not lost.
        /// </summary>
        public static TcpClient ConnectTcpClient(string host, int port, int timeoutMs)
        {
            if (host == null) throw new ArgumentNullException("host");
            if (port <= 0 || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port");

            var client = new TcpClient();
            Task connect = client.ConnectAsync(host, port);
            bool completed;
            try
            {
                completed = connect.Wait(timeoutMs);
            }
            catch (AggregateException ex)
            {
                client.Close();
                SocketException socketError = ex.InnerException as SocketException;
                if (socketError != null)
                    throw socketError;
                throw;
            }

            if (!completed)
            {
                connect.ContinueWith(t => { var ignored = t.Exception; }, TaskContinuationOptions.OnlyOnFaulted);
                client.Close();
                throw new TimeoutException("Connecting to " + host + ":" + port + " timed out after " + timeoutMs + " ms.");
            }

            return client;
        }

        public static int ToMicroseconds(int milliseconds)
        {
            if (milliseconds <= 0) return 0;
            return milliseconds >= int.MaxValue / 1000 ? int.MaxValue : milliseconds * 1000;
        }

        /// <summary>Closes a socket without throwing; used on cleanup paths.</summary>
        public static void CloseQuietly(Socket socket)
        {
            if (socket == null) return;
            try
            {
                if (socket.Connected)
                    socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            socket.Close();
        }
    }
}
