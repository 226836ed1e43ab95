using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Legacy
{
    /// <summary>
    /// Batches log lines (UTF-8, one per '\n') and ships them to a collector over one persistent TCP connection.
    /// A batch is flushed when it is full, when the timer fires, and on Dispose. Two buffers alternate so writers
    /// keep appending while the previous batch is on the wire. Delivery is at-least-once: a batch whose write
    /// failed half way is written again in full after reconnecting.
    /// </summary>
    public sealed class LogShipper : IDisposable
    {
        private const int MaxLineChars = 16 * 1024;

        [ThreadStatic]
        private static byte[] t_encodeBuffer;

        private readonly string _host;
        private readonly int _port;
        private readonly int _connectTimeoutMs;
        private readonly int _maxAttempts;
        private readonly object _batchLock = new object();
        private readonly object _flushLock = new object();
        private readonly int _batchCapacity;
        private byte[] _batch;
        private byte[] _spare;
        private int _batchLength;
        private TcpClient _client;
        private NetworkStream _stream;
        private Timer _timer;
        private long _droppedBytes;
        private volatile bool _disposed;

        public LogShipper(string host, int port, int batchBytes, int flushIntervalMs)
        {
            if (host == null) throw new ArgumentNullException("host");
            if (port <= 0 || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port");
            if (batchBytes < 1024) throw new ArgumentOutOfRangeException("batchBytes");
            if (flushIntervalMs <= 0) throw new ArgumentOutOfRangeException("flushIntervalMs");

            _host = host;
            _port = port;
            _connectTimeoutMs = 5000;
            _maxAttempts = 3;
            _batchCapacity = batchBytes;
            _batch = new byte[batchBytes];
            _spare = new byte[batchBytes];
            _timer = new Timer(OnTimer, null, flushIntervalMs, flushIntervalMs);
        }

        /// <summary>Bytes discarded because the collector stayed unreachable for a whole retry cycle.</summary>
        public long DroppedBytes
        {
            get { return Interlocked.Read(ref _droppedBytes); }
        }

        public void WriteLine(string line)
        {
            if (line == null) throw new ArgumentNullException("line");
            if (_disposed) throw new ObjectDisposedException("LogShipper");

            if (line.Length > MaxLineChars)
            {
                int cut = MaxLineChars;
                if (char.IsHighSurrogate(line[cut - 1]))
                    cut--; // do not split a surrogate pair
                line = line.Substring(0, cut);
            }

            byte[] encoded = GetEncodeBuffer(Encoding.UTF8.GetMaxByteCount(line.Length) + 1);
            int length = Encoding.UTF8.GetBytes(line, 0, line.Length, encoded, 0);
            encoded[length++] = (byte)'\n';

            if (length > _batchCapacity)
            {
                // Larger than a whole batch: ship what is queued, then this line on its own.
                Flush();
                lock (_flushLock)
                    WriteWithRetry(encoded, 0, length);
                return;
            }

            while (true)
            {
                lock (_batchLock)
                {
                    if (_batch.Length - _batchLength >= length)
                    {
                        Buffer.BlockCopy(encoded, 0, _batch, _batchLength, length);
                        _batchLength += length;
                        return;
                    }
                }
                Flush();
            }
        }

        public void WriteLine(string format, params object[] args)
        {
            WriteLine(DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", CultureInfo.InvariantCulture) +
                      string.Format(CultureInfo.InvariantCulture, format, args));
        }

        private static byte[] GetEncodeBuffer(int size)
        {
            byte[] buffer = t_encodeBuffer;
            if (buffer == null || buffer.Length < size)
            {
                buffer = new byte[Math.Max(size, 1024)];
                t_encodeBuffer = buffer;
            }
            return buffer;
        }

        /// <summary>Ships the current batch. Lock order is always _flushLock, then _batchLock.</summary>
        public void Flush()
        {
            lock (_flushLock)
            {
                byte[] full;
                int length;
                lock (_batchLock)
                {
                    if (_batchLength == 0)
                        return;
                    full = _batch;
                    length = _batchLength;
                    _batch = _spare;
                    _spare = full;
                    _batchLength = 0;
                }

                // _spare (== full) is not handed back to writers before the next Flush, which waits for this one.
                WriteWithRetry(full, 0, length);
            }
        }

        private void WriteWithRetry(byte[] buffer, int offset, int count)
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    EnsureConnected();
                    _stream.Write(buffer, offset, count);
                    return;
                }
                catch (Exception ex) when (ex is IOException || ex is SocketException || ex is TimeoutException)
                {
                    Disconnect();
                    if (attempt >= _maxAttempts)
                    {
                        Interlocked.Add(ref _droppedBytes, count);
                        Trace.WriteLine("log shipper: dropped " + count + " bytes: " + ex.Message);
                        return;
                    }
                }

                Thread.Sleep(200 * attempt);
            }
        }

        /// <summary>Opens the connection if there is none. Called with _flushLock held.</summary>
        private void EnsureConnected()
        {
            if (_client != null && _client.Connected)
                return;

            Disconnect();
            var client = new TcpClient(AddressFamily.InterNetwork);
            try
            {
                IAsyncResult ar = client.BeginConnect(_host, _port, null, null);
                bool inTime = ar.AsyncWaitHandle.WaitOne(_connectTimeoutMs);
                if (!inTime)
                    client.Close(); // abort the attempt; EndConnect below observes the abort

                try
                {
                    client.EndConnect(ar);
                }
                catch (Exception) when (!inTime)
                {
                }

                if (!inTime)
                    throw new TimeoutException("Connecting to " + _host + ":" + _port + " timed out.");

                client.SendTimeout = 10000;
                _stream = client.GetStream();
                _client = client;
            }
            catch
            {
                client.Close();
                throw;
            }
        }

        private void Disconnect()
        {
            if (_stream != null)
            {
                _stream.Dispose();
                _stream = null;
            }
            if (_client != null)
            {
                _client.Close();
                _client = null;
            }
        }

        private void OnTimer(object state)
        {
            if (_disposed)
                return;
            try
            {
                Flush();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;

            using (var stopped = new ManualResetEvent(false))
            {
                if (_timer.Dispose(stopped))
                    stopped.WaitOne(5000);
            }

            Flush();
            lock (_flushLock)
                Disconnect();
        }
    }

    /// <summary>
    /// RFC 3164 style syslog over UDP. Each message is one datagram of at most 1024 bytes; long messages are
    /// cut at a UTF-8 character boundary.
    /// </summary>
    public sealed class SyslogUdpSink : IDisposable
    {
        public const int MaxDatagram = 1024;
        private static readonly string[] s_months =
            { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

        private readonly UdpClient _udp;
        private readonly IPEndPoint _target;
        private readonly string _hostAndTag;
        private readonly object _sync = new object();
        private readonly byte[] _datagram = new byte[MaxDatagram];

        public SyslogUdpSink(IPAddress server, int port, string host, string tag)
        {
            if (server == null) throw new ArgumentNullException("server");
            if (host == null) throw new ArgumentNullException("host");
            if (tag == null) throw new ArgumentNullException("tag");
            if (host.Length == 0 || host.Length > 64) throw new ArgumentOutOfRangeException("host");
            if (tag.Length == 0 || tag.Length > 32) throw new ArgumentOutOfRangeException("tag");
            if (port <= 0 || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port");

            _target = new IPEndPoint(server, port);
            _udp = new UdpClient(server.AddressFamily);
            _hostAndTag = host + " " + tag + ": ";
        }

        public void Send(int facility, int severity, string message)
        {
            if (facility < 0 || facility > 23) throw new ArgumentOutOfRangeException("facility");
            if (severity < 0 || severity > 7) throw new ArgumentOutOfRangeException("severity");
            if (message == null) throw new ArgumentNullException("message");

            DateTime now = DateTime.Now;
            string header = "<" + (facility * 8 + severity).ToString(CultureInfo.InvariantCulture) + ">" +
                            s_months[now.Month - 1] + " " +
                            now.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) + " " +
                            now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " " + _hostAndTag;

            byte[] body = Encoding.UTF8.GetBytes(message);

            lock (_sync)
            {
                // The header is ASCII and bounded by the constructor checks (at most ~120 bytes).
                int length = Encoding.ASCII.GetBytes(header, 0, header.Length, _datagram, 0);

                int take = Math.Min(body.Length, _datagram.Length - length);
                while (take > 0 && take < body.Length && (body[take] & 0xC0) == 0x80)
                    take--; // body[take] is a continuation byte: end the cut before its character
                Buffer.BlockCopy(body, 0, _datagram, length, take);
                length += take;

                _udp.Send(_datagram, length, _target);
            }
        }

        public void Dispose()
        {
            _udp.Close();
        }
    }
}
