using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Net.Metrics
{
    public enum MetricKind
    {
        Counter,
        Gauge,
        Timing,
    }

    /// <summary>
    /// Batches StatsD lines ("name:value|type", separated by newlines) into datagrams no larger than a
    /// configured size and sends them over one UDP socket. Metrics are best-effort: datagrams that cannot be
    /// sent are counted in <see cref="DroppedDatagrams"/>, never retried.
    /// </summary>
    public sealed class StatsdExporter : IDisposable
    {
        /// <summary>1500-byte Ethernet MTU less IPv6 (40) and UDP (8) headers, with some room for options.</summary>
        public const int DefaultMaxDatagramSize = 1432;

        /// <summary>Size of the binary heartbeat record; the collector reads exactly this many bytes.</summary>
        public const int HeartbeatSize = 64;

        private const int MaxLineLength = 512;
        private const int HeartbeatNameOffset = 16;
        private const uint HeartbeatMagic = 0x5144_4842; // "QDHB"

        // Type suffixes, indexed by MetricKind. Filled once here and only read afterwards.
        private static readonly byte[][] s_suffixes =
        [
            "|c"u8.ToArray(),
            "|g"u8.ToArray(),
            "|ms"u8.ToArray(),
        ];

        // Scratch for DescribeLine, a diagnostic helper that may be called from any thread: guarded by s_describeLock.
        private static readonly byte[] s_describeBuffer = new byte[MaxLineLength];
        private static readonly object s_describeLock = new object();

        private readonly Socket _socket;
        private readonly string _prefix;
        private readonly string _instanceName;
        private readonly byte[] _datagram;
        private readonly object _batchLock = new object();
        private readonly Timer _flushTimer;
        private int _length;
        private uint _heartbeatSequence;
        private long _sentDatagrams;
        private long _droppedDatagrams;
        private long _droppedLines;
        private bool _disposed;

        public StatsdExporter(IPEndPoint collector, string prefix = "", string instanceName = "",
            int maxDatagramSize = DefaultMaxDatagramSize, TimeSpan? flushInterval = null)
        {
            ArgumentNullException.ThrowIfNull(collector);
            ArgumentNullException.ThrowIfNull(prefix);
            ArgumentNullException.ThrowIfNull(instanceName);
            ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, MaxLineLength);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagramSize, 65_507);
            if (!Ascii.IsValid(instanceName) || instanceName.Length > HeartbeatSize - HeartbeatNameOffset)
            {
                throw new ArgumentException(
                    $"The instance name must be ASCII and at most {HeartbeatSize - HeartbeatNameOffset} characters.",
                    nameof(instanceName));
            }

            _prefix = prefix;
            _instanceName = instanceName;
            _datagram = new byte[maxDatagramSize];

            // Connecting a UDP socket performs no handshake: it only fixes the destination, once, for all sends.
            _socket = new Socket(collector.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                _socket.Connect(collector);
            }
            catch
            {
                _socket.Dispose();
                throw;
            }

            TimeSpan interval = flushInterval ?? TimeSpan.FromSeconds(1);
            _flushTimer = new Timer(static state => ((StatsdExporter)state!).Flush(), this, interval, interval);
        }

        public long SentDatagrams => Interlocked.Read(ref _sentDatagrams);

        public long DroppedDatagrams => Interlocked.Read(ref _droppedDatagrams);

        /// <summary>Lines rejected because they could not be formatted within the line limit.</summary>
        public long DroppedLines => Interlocked.Read(ref _droppedLines);

        public void Increment(string name, long by = 1) => Record(name, by, MetricKind.Counter);

        public void Gauge(string name, double value) => Record(name, value, MetricKind.Gauge);

        public void Timing(string name, TimeSpan elapsed) => Record(name, elapsed.TotalMilliseconds, MetricKind.Timing);

        public void Record(string name, double value, MetricKind kind)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (name.AsSpan().IndexOfAny(":|@\n") >= 0)
            {
                throw new ArgumentException("Metric names must not contain ':', '|', '@' or newlines.", nameof(name));
            }

            Span<byte> line = stackalloc byte[MaxLineLength];
            if (!TryFormatLine(_prefix, name, value, kind, line, out int lineLength))
            {
                Interlocked.Increment(ref _droppedLines);
                return;
            }

            lock (_batchLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);

                int separator = _length == 0 ? 0 : 1;
                if (separator + lineLength > _datagram.Length - _length)
                {
                    FlushLocked();
                    separator = 0;
                }

                // lineLength <= MaxLineLength <= _datagram.Length, so an empty datagram always has room.
                if (separator == 1)
                {
                    _datagram[_length++] = (byte)'\n';
                }

                line.Slice(0, lineLength).CopyTo(_datagram.AsSpan(_length));
                _length += lineLength;
            }
        }

        /// <summary>Sends whatever is batched.</summary>
        public void Flush()
        {
            lock (_batchLock)
            {
                if (!_disposed)
                {
                    FlushLocked();
                }
            }
        }

        /// <summary>
        /// Sends a fixed 64-byte binary heartbeat: magic, Unix time in milliseconds and a sequence number
        /// (all big-endian), then the instance name padded with zero bytes.
        /// </summary>
        public void SendHeartbeat()
        {
            Span<byte> packet = stackalloc byte[HeartbeatSize];
            packet.Clear();

            BinaryPrimitives.WriteUInt32BigEndian(packet, HeartbeatMagic);
            BinaryPrimitives.WriteInt64BigEndian(packet.Slice(4), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteUInt32BigEndian(packet.Slice(12), Interlocked.Increment(ref _heartbeatSequence));
            Encoding.ASCII.GetBytes(_instanceName, packet.Slice(HeartbeatNameOffset));

            lock (_batchLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                SendDatagram(packet);
            }
        }

        /// <summary>Formats one line as it would be sent, for logs and tests.</summary>
        public static string DescribeLine(string prefix, string name, double value, MetricKind kind)
        {
            ArgumentNullException.ThrowIfNull(prefix);
            ArgumentNullException.ThrowIfNull(name);

            lock (s_describeLock)
            {
                if (!TryFormatLine(prefix, name, value, kind, s_describeBuffer, out int length))
                {
                    throw new ArgumentException($"The line is longer than {MaxLineLength} bytes.");
                }

                return Encoding.UTF8.GetString(s_describeBuffer, 0, length);
            }
        }

        private static bool TryFormatLine(string prefix, string name, double value, MetricKind kind,
            Span<byte> destination, out int written)
        {
            written = 0;
            if (!double.IsFinite(value) || (uint)kind >= (uint)s_suffixes.Length)
            {
                return false;
            }

            if (!Encoding.UTF8.TryGetBytes(prefix, destination, out int n))
            {
                return false;
            }

            int position = n;
            if (!Encoding.UTF8.TryGetBytes(name, destination.Slice(position), out n))
            {
                return false;
            }

            position += n;
            if (position >= destination.Length)
            {
                return false;
            }

            destination[position++] = (byte)':';
            if (!value.TryFormat(destination.Slice(position), out n, "R", CultureInfo.InvariantCulture))
            {
                return false;
            }

            position += n;
            byte[] suffix = s_suffixes[(int)kind];
            if (suffix.Length > destination.Length - position)
            {
                return false;
            }

            suffix.CopyTo(destination.Slice(position));
            written = position + suffix.Length;
            return true;
        }

        private void FlushLocked()
        {
            if (_length == 0)
            {
                return;
            }

            try
            {
                SendDatagram(_datagram.AsSpan(0, _length));
            }
            finally
            {
                _length = 0;
            }
        }

        private void SendDatagram(ReadOnlySpan<byte> datagram)
        {
            try
            {
                int sent = _socket.Send(datagram, SocketFlags.None);
                if (sent == datagram.Length)
                {
                    Interlocked.Increment(ref _sentDatagrams);
                }
                else
                {
                    Interlocked.Increment(ref _droppedDatagrams);
                }
            }
            catch (SocketException)
            {
                // ICMP "port unreachable" from an earlier datagram, a full send buffer, no route: all are
                // routine for fire-and-forget metrics and must not break the instrumented application.
                Interlocked.Increment(ref _droppedDatagrams);
            }
        }

        public void Dispose()
        {
            _flushTimer.Dispose();
            lock (_batchLock)
            {
                if (_disposed)
                {
                    return;
                }

                FlushLocked();
                _disposed = true;
            }

            _socket.Dispose();
        }
    }
}
