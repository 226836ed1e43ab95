using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.WebSockets
{
    public enum WsOpcode : byte
    {
        Continuation = 0x0,
        Text = 0x1,
        Binary = 0x2,
        Close = 0x8,
        Ping = 0x9,
        Pong = 0xA,
    }

    public readonly record struct WsFrameHeader(bool Fin, WsOpcode Opcode, bool Masked, long PayloadLength, uint MaskKey)
    {
        public bool IsControl => ((byte)Opcode & 0x8) != 0;
    }

    /// <summary>RFC 6455 section 5.2 frame headers and masking.</summary>
    public static class WsFrameCodec
    {
        public const int MaxHeaderSize = 14;
        public const int MaxControlPayload = 125;

        public static int GetHeaderSize(long payloadLength, bool masked)
        {
            if (payloadLength < 0) throw new ArgumentOutOfRangeException(nameof(payloadLength));
            int size = payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;
            return masked ? size + 4 : size;
        }

        /// <summary>Writes a frame header and returns its length (2..14 bytes).</summary>
        public static int WriteHeader(Span<byte> destination, bool fin, WsOpcode opcode, long payloadLength, uint? maskKey)
        {
            int size = GetHeaderSize(payloadLength, maskKey.HasValue);
            if (destination.Length < size) throw new ArgumentException("Destination too small for the frame header.", nameof(destination));
            if (((byte)opcode & 0x8) != 0 && (!fin || payloadLength > MaxControlPayload))
                throw new ArgumentException("Control frames must be final and carry at most 125 bytes.");

            destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
            byte maskBit = maskKey.HasValue ? (byte)0x80 : (byte)0;
            int position;
            if (payloadLength < 126)
            {
                destination[1] = (byte)(maskBit | (byte)payloadLength);
                position = 2;
            }
            else if (payloadLength <= ushort.MaxValue)
            {
                destination[1] = (byte)(maskBit | 126);
                BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)payloadLength);
                position = 4;
            }
            else
            {
                destination[1] = (byte)(maskBit | 127);
                BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)payloadLength);
                position = 10;
            }
            if (maskKey is uint key)
            {
                BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(position), key);
                position += 4;
            }
            return position;
        }

        /// <summary>Parses a header. Returns NeedMoreData until the whole header is present.</summary>
        public static OperationStatus TryReadHeader(ReadOnlySpan<byte> source, out WsFrameHeader header, out int headerLength)
        {
            header = default;
            headerLength = 0;
            if (source.Length < 2) return OperationStatus.NeedMoreData;

            byte first = source[0];
            byte second = source[1];
            if ((first & 0x70) != 0) return OperationStatus.InvalidData; // RSV bits without a negotiated extension
            var opcode = (WsOpcode)(first & 0x0F);
            if (opcode is not (WsOpcode.Continuation or WsOpcode.Text or WsOpcode.Binary or WsOpcode.Close or WsOpcode.Ping or WsOpcode.Pong))
                return OperationStatus.InvalidData;
            bool fin = (first & 0x80) != 0;
            bool masked = (second & 0x80) != 0;
            int shortLength = second & 0x7F;

            int size = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (source.Length < size) return OperationStatus.NeedMoreData;

            long length;
            int position = 2;
            if (shortLength == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2));
                if (length < 126) return OperationStatus.InvalidData; // not the minimal encoding
                position = 4;
            }
            else if (shortLength == 127)
            {
                ulong wide = BinaryPrimitives.ReadUInt64BigEndian(source.Slice(2));
                if ((wide & 0x8000_0000_0000_0000) != 0 || wide <= ushort.MaxValue) return OperationStatus.InvalidData;
                length = (long)wide;
                position = 10;
            }
            else
            {
                length = shortLength;
            }

            if (((byte)opcode & 0x8) != 0 && (!fin || length > MaxControlPayload)) return OperationStatus.InvalidData;

            uint maskKey = masked ? BinaryPrimitives.ReadUInt32BigEndian(source.Slice(position)) : 0;
            header = new WsFrameHeader(fin, opcode, masked, length, maskKey);
            headerLength = size;
            return OperationStatus.Done;
        }

        /// <summary>XORs <paramref name="data"/> in place; <paramref name="payloadOffset"/> is where it sits in the payload.</summary>
        public static void ApplyMask(Span<byte> data, uint maskKey, long payloadOffset)
        {
            Span<byte> key = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(key, maskKey);
            int phase = (int)(payloadOffset & 3);
            for (int i = 0; i < data.Length; i++)
            {
                data[i] ^= key[(phase + i) & 3];
            }
        }

        /// <summary>Copies and masks in one pass, leaving the caller's payload untouched.</summary>
        public static void CopyMasked(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey)
        {
            if (destination.Length < source.Length) throw new ArgumentException("Destination shorter than the payload.", nameof(destination));
            source.CopyTo(destination);
            ApplyMask(destination.Slice(0, source.Length), maskKey, 0);
        }
    }

    public readonly record struct WsMessage(WsOpcode Type, byte[] Payload, ushort? CloseStatus = null);

    /// <summary>A client WebSocket over one TCP (optionally TLS) connection, with its own framing code.</summary>
    public sealed class WsClientConnection : IAsyncDisposable
    {
        private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        private const int MaxHandshakeBytes = 8 * 1024;

        private readonly TcpClient _tcp;
        private readonly Stream _stream;
        private readonly SemaphoreSlim _sendLock = new SemaphoreSlim(1, 1);
        private readonly byte[] _readBuffer = new byte[16 * 1024];
        private readonly int _maxMessageSize;
        private int _readStart;
        private int _readEnd;
        private bool _closeSent;

        private WsClientConnection(TcpClient tcp, Stream stream, int maxMessageSize)
        {
            _tcp = tcp;
            _stream = stream;
            _maxMessageSize = maxMessageSize;
        }

        public static async Task<WsClientConnection> ConnectAsync(Uri uri, int maxMessageSize = 4 * 1024 * 1024, CancellationToken cancellationToken = default)
        {
            bool secure = uri.Scheme == "wss";
            if (!secure && uri.Scheme != "ws") throw new ArgumentException("Expected a ws:// or wss:// URI.", nameof(uri));
            int port = uri.Port > 0 ? uri.Port : secure ? 443 : 80;

            var tcp = new TcpClient { NoDelay = true };
            try
            {
                await tcp.ConnectAsync(uri.IdnHost, port, cancellationToken).ConfigureAwait(false);
                Stream stream = tcp.GetStream();
                if (secure)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.IdnHost }, cancellationToken).ConfigureAwait(false);
                    stream = tls;
                }
                var connection = new WsClientConnection(tcp, stream, maxMessageSize);
                await connection.HandshakeAsync(uri, port, secure, cancellationToken).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }

        private async Task HandshakeAsync(Uri uri, int port, bool secure, CancellationToken cancellationToken)
        {
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            bool defaultPort = port == (secure ? 443 : 80);
            string host = defaultPort ? uri.IdnHost : $"{uri.IdnHost}:{port}";
            string request =
                $"GET {uri.PathAndQuery} HTTP/1.1\r\n" +
                $"Host: {host}\r\n" +
                "Upgrade: websocket\r\n" +
                "Connection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\n" +
                "Sec-WebSocket-Version: 13\r\n\r\n";
            // GetBytes(string) returns an array holding exactly the encoded request.
            byte[] requestBytes = Encoding.ASCII.GetBytes(request);
            await _stream.WriteAsync(requestBytes, cancellationToken).ConfigureAwait(false);

            int headEnd;
            while ((headEnd = _readBuffer.AsSpan(0, _readEnd).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (_readEnd >= MaxHandshakeBytes) throw new WireFormatException("Handshake response headers are too large.");
                int read = await _stream.ReadAsync(_readBuffer.AsMemory(_readEnd, MaxHandshakeBytes - _readEnd), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new EndOfStreamException("The server closed the connection during the handshake.");
                _readEnd += read;
            }

            // Decode only the header block; bytes after it are already WebSocket frames and stay buffered.
            string head = Encoding.ASCII.GetString(_readBuffer, 0, headEnd);
            _readStart = headEnd + 4;
            ValidateHandshake(head, key);
        }

        private static void ValidateHandshake(string head, string key)
        {
            string[] lines = head.Split("\r\n");
            if (lines.Length == 0 || !lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                throw new WireFormatException($"The server did not switch protocols: '{(lines.Length > 0 ? lines[0] : string.Empty)}'.");

            string expectedAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
            bool upgrade = false, connection = false, accept = false;
            for (int i = 1; i < lines.Length; i++)
            {
                int colon = lines[i].IndexOf(':');
                if (colon <= 0) continue;
                string name = lines[i][..colon].Trim();
                string value = lines[i][(colon + 1)..].Trim();
                if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                    upgrade = value.Equals("websocket", StringComparison.OrdinalIgnoreCase);
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                    connection = Array.Exists(value.Split(','), t => t.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase));
                else if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
                    accept = value == expectedAccept;
            }
            if (!(upgrade && connection && accept)) throw new WireFormatException("The handshake response is not a valid WebSocket upgrade.");
        }

        public Task SendTextAsync(string text, CancellationToken cancellationToken = default) =>
            SendFrameAsync(WsOpcode.Text, Encoding.UTF8.GetBytes(text), cancellationToken);

        public Task SendBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
            SendFrameAsync(WsOpcode.Binary, payload, cancellationToken);

        public Task SendFrameAsync(WsOpcode opcode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, bool fin = true) =>
            SendFrameCoreAsync(opcode, payload, fin, skipIfCloseSent: false, cancellationToken);

        private async Task SendFrameCoreAsync(WsOpcode opcode, ReadOnlyMemory<byte> payload, bool fin, bool skipIfCloseSent, CancellationToken cancellationToken)
        {
            int headerSize = WsFrameCodec.GetHeaderSize(payload.Length, masked: true);
            int total = checked(headerSize + payload.Length);
            byte[] frame = ArrayPool<byte>.Shared.Rent(total);
            try
            {
                int written = BuildMaskedFrame(frame, opcode, fin, payload.Span);
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (_closeSent)
                    {
                        if (skipIfCloseSent) return;
                        throw new InvalidOperationException("A close frame was already sent.");
                    }
                    if (opcode == WsOpcode.Close) _closeSent = true;
                    // The pooled array can be longer than the frame: write exactly the frame.
                    await _stream.WriteAsync(frame.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        private static int BuildMaskedFrame(Span<byte> destination, WsOpcode opcode, bool fin, ReadOnlySpan<byte> payload)
        {
            Span<byte> keyBytes = stackalloc byte[4];
            RandomNumberGenerator.Fill(keyBytes);
            uint maskKey = BinaryPrimitives.ReadUInt32BigEndian(keyBytes);
            int headerLength = WsFrameCodec.WriteHeader(destination, fin, opcode, payload.Length, maskKey);
            WsFrameCodec.CopyMasked(payload, destination.Slice(headerLength), maskKey);
            return headerLength + payload.Length;
        }

        public Task CloseAsync(ushort status, string reason, CancellationToken cancellationToken = default)
        {
            int reasonLength = Encoding.UTF8.GetByteCount(reason);
            if (reasonLength > WsFrameCodec.MaxControlPayload - 2)
                throw new ArgumentException("A close reason is at most 123 UTF-8 bytes.", nameof(reason));
            var payload = new byte[2 + reasonLength];
            BinaryPrimitives.WriteUInt16BigEndian(payload, status);
            Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
            return SendFrameAsync(WsOpcode.Close, payload, cancellationToken);
        }

        /// <summary>Receives one complete message, answering pings and reassembling fragments on the way.</summary>
        public async Task<WsMessage> ReceiveAsync(CancellationToken cancellationToken = default)
        {
            var message = new ArrayBufferWriter<byte>();
            WsOpcode? messageType = null;
            while (true)
            {
                WsFrameHeader header = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
                if (header.Masked) throw new WireFormatException("Servers must not mask frames.");

                if (header.IsControl)
                {
                    byte[] control = new byte[header.PayloadLength];
                    await ReadPayloadAsync(control, cancellationToken).ConfigureAwait(false);
                    switch (header.Opcode)
                    {
                        case WsOpcode.Ping:
                            await SendFrameAsync(WsOpcode.Pong, control, cancellationToken).ConfigureAwait(false);
                            continue;
                        case WsOpcode.Pong:
                            continue;
                        default:
                            return await HandleCloseAsync(control, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (messageType is null)
                {
                    if (header.Opcode == WsOpcode.Continuation) throw new WireFormatException("Continuation frame without a message.");
                    messageType = header.Opcode;
                }
                else if (header.Opcode != WsOpcode.Continuation)
                {
                    throw new WireFormatException("A new message started before the previous one finished.");
                }

                if (header.PayloadLength > _maxMessageSize - message.WrittenCount)
                    throw new WireFormatException($"Message exceeds {_maxMessageSize} bytes.");
                int length = (int)header.PayloadLength;
                Memory<byte> target = message.GetMemory(Math.Max(length, 1)).Slice(0, length);
                await ReadPayloadAsync(target, cancellationToken).ConfigureAwait(false);
                message.Advance(length);

                if (header.Fin)
                {
                    byte[] payload = message.WrittenSpan.ToArray();
                    if (messageType == WsOpcode.Text) ValidateUtf8(payload);
                    return new WsMessage(messageType.Value, payload);
                }
            }
        }

        private static readonly UTF8Encoding s_strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private static void ValidateUtf8(byte[] payload)
        {
            try
            {
                s_strictUtf8.GetCharCount(payload);
            }
            catch (DecoderFallbackException ex)
            {
                throw new WireFormatException("Text message is not valid UTF-8.", ex);
            }
        }

        private async Task<WsMessage> HandleCloseAsync(byte[] payload, CancellationToken cancellationToken)
        {
            if (payload.Length == 1) throw new WireFormatException("A close payload cannot be a single byte.");
            ushort? status = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : null;
            // Echo the status unless our own close already went out (then this frame is the reply to it).
            byte[] echo = status is ushort code ? new byte[] { (byte)(code >> 8), (byte)code } : Array.Empty<byte>();
            await SendFrameCoreAsync(WsOpcode.Close, echo, fin: true, skipIfCloseSent: true, cancellationToken).ConfigureAwait(false);
            return new WsMessage(WsOpcode.Close, payload.Length > 2 ? payload.AsSpan(2).ToArray() : Array.Empty<byte>(), status);
        }

        private async ValueTask<WsFrameHeader> ReadHeaderAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                OperationStatus status = WsFrameCodec.TryReadHeader(
                    _readBuffer.AsSpan(_readStart, _readEnd - _readStart), out WsFrameHeader header, out int headerLength);
                if (status == OperationStatus.Done)
                {
                    _readStart += headerLength;
                    return header;
                }
                if (status == OperationStatus.InvalidData) throw new WireFormatException("Invalid WebSocket frame header.");
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Fills <paramref name="destination"/> from buffered bytes first, then straight from the stream.</summary>
        private async ValueTask ReadPayloadAsync(Memory<byte> destination, CancellationToken cancellationToken)
        {
            int fromBuffer = Math.Min(_readEnd - _readStart, destination.Length);
            _readBuffer.AsMemory(_readStart, fromBuffer).CopyTo(destination);
            _readStart += fromBuffer;
            if (fromBuffer < destination.Length)
            {
                await SocketIO.ReadExactlyAsync(_stream, destination.Slice(fromBuffer), cancellationToken).ConfigureAwait(false);
            }
        }

        private async ValueTask FillAsync(CancellationToken cancellationToken)
        {
            if (_readStart > 0)
            {
                int pending = _readEnd - _readStart;
                _readBuffer.AsSpan(_readStart, pending).CopyTo(_readBuffer);
                _readStart = 0;
                _readEnd = pending;
            }
            if (_readEnd == _readBuffer.Length) throw new WireFormatException("Frame header larger than the read buffer.");
            int read = await _stream.ReadAsync(_readBuffer.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException("The server closed the connection.");
            _readEnd += read;
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _tcp.Dispose();
            _sendLock.Dispose();
        }
    }
}
