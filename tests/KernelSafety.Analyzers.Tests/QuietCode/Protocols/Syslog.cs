using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Syslog
{
    public enum SyslogFacility
    {
        Kernel = 0, User = 1, Mail = 2, Daemon = 3, Auth = 4, Syslog = 5, Lpr = 6, News = 7,
        Uucp = 8, Cron = 9, AuthPriv = 10, Ftp = 11, Ntp = 12, Audit = 13, Alert = 14, Clock = 15,
        Local0 = 16, Local1 = 17, Local2 = 18, Local3 = 19, Local4 = 20, Local5 = 21, Local6 = 22, Local7 = 23,
    }

    public enum SyslogSeverity
    {
        Emergency = 0, Alert = 1, Critical = 2, Error = 3, Warning = 4, Notice = 5, Informational = 6, Debug = 7,
    }

    public sealed record SdElement(string Id, IReadOnlyList<KeyValuePair<string, string>> Parameters);

    public sealed class SyslogMessage
    {
        public SyslogFacility Facility { get; init; } = SyslogFacility.User;
        public SyslogSeverity Severity { get; init; } = SyslogSeverity.Informational;
        public DateTimeOffset? Timestamp { get; init; }
        public string? HostName { get; init; }
        public string? AppName { get; init; }
        public string? ProcId { get; init; }
        public string? MsgId { get; init; }
        public IReadOnlyList<SdElement> StructuredData { get; init; } = Array.Empty<SdElement>();
        public string Message { get; init; } = string.Empty;
    }

    /// <summary>RFC 5424 formatting: header fields are PRINTUSASCII with fixed maximum lengths.</summary>
    public static class Rfc5424Formatter
    {
        private const char Nil = '-';

        public static string Format(SyslogMessage message, bool utf8Bom = false)
        {
            var text = new StringBuilder(128 + message.Message.Length);
            int priority = (int)message.Facility * 8 + (int)message.Severity;
            text.Append('<').Append(priority.ToString(CultureInfo.InvariantCulture)).Append(">1 ");

            if (message.Timestamp is DateTimeOffset time)
                text.Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            else
                text.Append(Nil);
            text.Append(' ');
            AppendHeaderField(text, message.HostName, 255).Append(' ');
            AppendHeaderField(text, message.AppName, 48).Append(' ');
            AppendHeaderField(text, message.ProcId, 128).Append(' ');
            AppendHeaderField(text, message.MsgId, 32).Append(' ');

            if (message.StructuredData.Count == 0)
            {
                text.Append(Nil);
            }
            else
            {
                foreach (SdElement element in message.StructuredData)
                {
                    text.Append('[');
                    AppendSdName(text, element.Id);
                    foreach (KeyValuePair<string, string> parameter in element.Parameters)
                    {
                        text.Append(' ');
                        AppendSdName(text, parameter.Key);
                        text.Append("=\"");
                        AppendEscapedValue(text, parameter.Value);
                        text.Append('"');
                    }
                    text.Append(']');
                }
            }

            if (message.Message.Length > 0)
            {
                text.Append(' ');
                if (utf8Bom) text.Append('\uFEFF');
                text.Append(message.Message);
            }
            return text.ToString();
        }

        private static StringBuilder AppendHeaderField(StringBuilder text, string? value, int maxLength)
        {
            if (string.IsNullOrEmpty(value)) return text.Append(Nil);
            int count = Math.Min(value.Length, maxLength);
            for (int i = 0; i < count; i++)
            {
                char c = value[i];
                text.Append(c >= 33 && c <= 126 ? c : '_');
            }
            return text;
        }

        private static void AppendSdName(StringBuilder text, string name)
        {
            if (name.Length == 0 || name.Length > 32) throw new ArgumentException($"SD-NAME '{name}' must be 1..32 characters.");
            foreach (char c in name)
            {
                if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"' || c == ' ')
                    throw new ArgumentException($"SD-NAME '{name}' contains '{c}'.");
            }
            text.Append(name);
        }

        private static void AppendEscapedValue(StringBuilder text, string value)
        {
            foreach (char c in value)
            {
                if (c == '"' || c == '\\' || c == ']') text.Append('\\');
                text.Append(c);
            }
        }

        /// <summary>Largest length not above <paramref name="limit"/> that does not split a UTF-8 sequence.</summary>
        public static int Utf8SafeLength(ReadOnlySpan<byte> encoded, int limit)
        {
            if (limit >= encoded.Length) return encoded.Length;
            int length = limit;
            // Back off over continuation bytes (10xxxxxx) so the cut lands before a lead byte.
            while (length > 0 && (encoded[length] & 0xC0) == 0x80) length--;
            return length;
        }
    }

    /// <summary>RFC 5426 UDP transport: one connected socket for the sender's lifetime, one datagram per message.</summary>
    public sealed class UdpSyslogSender : IDisposable
    {
        private readonly UdpClient _udp;
        private readonly int _maxDatagram;

        public UdpSyslogSender(string host, int port = 514, int maxDatagram = 2048)
        {
            if (maxDatagram < 480 || maxDatagram > 65507) throw new ArgumentOutOfRangeException(nameof(maxDatagram));
            _maxDatagram = maxDatagram;
            _udp = new UdpClient();
            _udp.Connect(host, NetOrder.CheckedPort(port));
        }

        public void Send(SyslogMessage message)
        {
            string text = Rfc5424Formatter.Format(message);
            int maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (maxBytes <= FrameBuffers.ScratchSize)
            {
                // Short messages use this thread's scratch buffer: the method is synchronous, so nothing else on
                // this thread can touch the buffer before the datagram has been handed to the kernel.
                SendEncoded(FrameBuffers.ThreadScratch, text);
                return;
            }

            byte[] rented = ArrayPool<byte>.Shared.Rent(maxBytes);
            try
            {
                SendEncoded(rented, text);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        private void SendEncoded(byte[] buffer, string text)
        {
            int encoded = Encoding.UTF8.GetBytes(text, 0, text.Length, buffer, 0);
            // Oversized messages are truncated (RFC 5426 section 3.2) on a character boundary.
            int length = Rfc5424Formatter.Utf8SafeLength(buffer.AsSpan(0, encoded), _maxDatagram);
            int sent = _udp.Send(buffer, length);
            if (sent != length) throw new IOException($"Datagram cut short: {sent} of {length} bytes.");
        }

        public void Dispose() => _udp.Dispose();
    }

    /// <summary>
    /// RFC 6587 octet-counting over TCP ("LEN SP MSG"). Messages are queued and written by one background task
    /// over one persistent connection; the connection is re-established only after it fails.
    /// </summary>
    public sealed class TcpSyslogSender : IAsyncDisposable
    {
        private const int PrefixRoom = 12; // up to 10 digits, a space, and one spare byte

        private readonly string _host;
        private readonly int _port;
        private readonly Channel<SyslogMessage> _queue;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Task _writer;
        private Socket? _socket;

        public TcpSyslogSender(string host, int port = 6514, int capacity = 10_000)
        {
            _host = host;
            _port = NetOrder.CheckedPort(port);
            _queue = Channel.CreateBounded<SyslogMessage>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropOldest,
            });
            _writer = Task.Run(WriteLoopAsync);
        }

        public bool TryEnqueue(SyslogMessage message) => _queue.Writer.TryWrite(message);

        private async Task WriteLoopAsync()
        {
            CancellationToken stop = _stop.Token;
            var backoff = TimeSpan.FromMilliseconds(250);
            try
            {
                while (await _queue.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
                {
                    while (_queue.Reader.TryRead(out SyslogMessage? message))
                    {
                        // Keep this message until it has been written; retry on a fresh connection with backoff.
                        while (true)
                        {
                            try
                            {
                                Socket socket = _socket ??= await SocketIO.ConnectTcpAsync(_host, _port, TimeSpan.FromSeconds(5), stop).ConfigureAwait(false);
                                await WriteFramedAsync(socket, message, stop).ConfigureAwait(false);
                                backoff = TimeSpan.FromMilliseconds(250);
                                break;
                            }
                            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
                            {
                                _socket?.Dispose();
                                _socket = null;
                                await Task.Delay(backoff, stop).ConfigureAwait(false);
                                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        private static async Task WriteFramedAsync(Socket socket, SyslogMessage message, CancellationToken cancellationToken)
        {
            string text = Rfc5424Formatter.Format(message);
            byte[] frame = ArrayPool<byte>.Shared.Rent(PrefixRoom + Encoding.UTF8.GetMaxByteCount(text.Length));
            try
            {
                (int start, int length) = EncodeFrame(frame, text);
                await SocketIO.SendAllAsync(socket, frame.AsMemory(start, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        /// <summary>
        /// Encodes MSG at <see cref="PrefixRoom"/> and writes "LEN " right before it, so the frame is contiguous.
        /// Returns where the frame starts and how long it is.
        /// </summary>
        internal static (int Start, int Length) EncodeFrame(byte[] frame, string text)
        {
            int messageLength = Encoding.UTF8.GetBytes(text, 0, text.Length, frame, PrefixRoom);
            Span<byte> digits = stackalloc byte[10];
            if (!Utf8Formatter.TryFormat(messageLength, digits, out int digitCount))
                throw new InvalidOperationException("Length does not fit in ten digits.");
            int start = PrefixRoom - digitCount - 1;
            digits.Slice(0, digitCount).CopyTo(frame.AsSpan(start));
            frame[PrefixRoom - 1] = (byte)' ';
            return (start, digitCount + 1 + messageLength);
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            // Give queued messages a moment to drain, then stop.
            Task finished = await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            if (finished != _writer) _stop.Cancel();
            await _writer.ConfigureAwait(false);
            _socket?.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// A synchronous octet-counting sender for code without an async context. The socket is non-blocking after
    /// connecting, so every send loops until the whole frame is out and checks the socket error each time.
    /// </summary>
    public sealed class BlockingSyslogSender : IDisposable
    {
        private readonly IPEndPoint _endPoint;
        private readonly TimeSpan _connectTimeout;
        private readonly object _gate = new object();
        private byte[] _frame = new byte[4096];
        private Socket? _socket;

        public BlockingSyslogSender(IPAddress address, int port = 6514, TimeSpan? connectTimeout = null)
        {
            _endPoint = new IPEndPoint(address, NetOrder.CheckedPort(port));
            _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5);
        }

        public void Send(SyslogMessage message)
        {
            string text = Rfc5424Formatter.Format(message);
            lock (_gate)
            {
                int needed = 12 + Encoding.UTF8.GetMaxByteCount(text.Length);
                if (_frame.Length < needed) _frame = new byte[needed];
                (int start, int length) = TcpSyslogSender.EncodeFrame(_frame, text);

                try
                {
                    SendFrame(EnsureConnected(), start, length);
                }
                catch (SocketException)
                {
                    // The collector restarted or the idle connection was reset: reconnect once and resend.
                    DropConnection();
                    SendFrame(EnsureConnected(), start, length);
                }
            }
        }

        /// <summary>Opens the connection when there is none; an existing connection is reused for every message.</summary>
        private Socket EnsureConnected()
        {
            if (_socket is not null) return _socket;

            var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                IAsyncResult pending = socket.BeginConnect(_endPoint, null, null);
                if (!pending.AsyncWaitHandle.WaitOne(_connectTimeout))
                {
                    throw new TimeoutException($"Connecting to {_endPoint} took longer than {_connectTimeout}.");
                }
                socket.EndConnect(pending); // throws the connect failure, if any
                socket.Blocking = false;
            }
            catch
            {
                socket.Dispose(); // also completes a still-pending BeginConnect
                throw;
            }
            _socket = socket;
            return socket;
        }

        private void SendFrame(Socket socket, int offset, int count)
        {
            while (count > 0)
            {
                int sent = socket.Send(_frame, offset, count, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    // Kernel buffer is full: wait up to 10 s for room, then continue with what is left.
                    if (!socket.Poll(10_000_000, SelectMode.SelectWrite))
                    {
                        throw new SocketException((int)SocketError.TimedOut);
                    }
                    offset += sent;
                    count -= sent;
                    continue;
                }
                if (error != SocketError.Success) throw new SocketException((int)error);
                if (sent == 0) throw new SocketException((int)SocketError.ConnectionReset);
                offset += sent;
                count -= sent;
            }
        }

        private void DropConnection()
        {
            _socket?.Dispose();
            _socket = null;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                DropConnection();
            }
        }
    }
}
