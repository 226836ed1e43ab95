using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Mqtt
{
    public enum MqttPacketType : byte
    {
        Connect = 1,
        ConnAck = 2,
        Publish = 3,
        PubAck = 4,
        PubRec = 5,
        PubRel = 6,
        PubComp = 7,
        Subscribe = 8,
        SubAck = 9,
        Unsubscribe = 10,
        UnsubAck = 11,
        PingReq = 12,
        PingResp = 13,
        Disconnect = 14,
    }

    /// <summary>MQTT 3.1.1 "Remaining Length": 1..4 bytes, 7 bits each, least significant group first.</summary>
    public static class VariableByteInteger
    {
        public const int MaxValue = 268_435_455;
        public const int MaxSize = 4;

        public static int GetSize(int value)
        {
            if ((uint)value > MaxValue) throw new ArgumentOutOfRangeException(nameof(value));
            return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
        }

        public static int Encode(int value, Span<byte> destination)
        {
            int size = GetSize(value);
            if (destination.Length < size) throw new ArgumentException("Destination too small for the length field.", nameof(destination));
            int i = 0;
            do
            {
                byte digit = (byte)(value & 0x7F);
                value >>= 7;
                if (value > 0) digit |= 0x80;
                destination[i++] = digit;
            }
            while (value > 0);
            return i;
        }

        public static OperationStatus TryDecode(ReadOnlySpan<byte> source, out int value, out int consumed)
        {
            value = 0;
            consumed = 0;
            int shift = 0;
            for (int i = 0; i < MaxSize; i++)
            {
                if (i >= source.Length) return OperationStatus.NeedMoreData;
                byte b = source[i];
                value |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    consumed = i + 1;
                    return OperationStatus.Done;
                }
                shift += 7;
            }
            value = 0;
            return OperationStatus.InvalidData;
        }
    }

    /// <summary>Writes MQTT fields into a span whose size was computed up front.</summary>
    public ref struct MqttSpanWriter
    {
        private readonly Span<byte> _buffer;
        private int _position;

        public MqttSpanWriter(Span<byte> buffer)
        {
            _buffer = buffer;
            _position = 0;
        }

        public int Position => _position;

        public void WriteByte(byte value) => _buffer[_position++] = value;

        public void WriteUInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.Slice(_position, 2), value);
            _position += 2;
        }

        public void WriteRemainingLength(int value) => _position += VariableByteInteger.Encode(value, _buffer.Slice(_position));

        public void WriteString(string value)
        {
            int length = Encoding.UTF8.GetBytes(value, _buffer.Slice(_position + 2));
            if (length > ushort.MaxValue) throw new ArgumentException("An MQTT string holds at most 65535 bytes.", nameof(value));
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.Slice(_position, 2), (ushort)length);
            _position += 2 + length;
        }

        public void WriteBinary(ReadOnlySpan<byte> value)
        {
            if (value.Length > ushort.MaxValue) throw new ArgumentException("MQTT binary data holds at most 65535 bytes.", nameof(value));
            WriteUInt16((ushort)value.Length);
            WriteRaw(value);
        }

        public void WriteRaw(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_buffer.Slice(_position));
            _position += value.Length;
        }
    }

    public sealed class MqttConnectOptions
    {
        public string ClientId { get; init; } = string.Empty;
        public ushort KeepAliveSeconds { get; init; } = 60;
        public bool CleanSession { get; init; } = true;
        public string? UserName { get; init; }
        public byte[]? Password { get; init; }
        public string? WillTopic { get; init; }
        public byte[]? WillPayload { get; init; }
        public byte WillQos { get; init; }
        public bool WillRetain { get; init; }
    }

    public readonly record struct MqttApplicationMessage(string Topic, ReadOnlyMemory<byte> Payload, byte Qos, bool Retain);

    /// <summary>A decoded control packet. <see cref="Body"/> is an owned array of exactly Remaining Length bytes.</summary>
    public readonly record struct MqttPacket(MqttPacketType Type, byte Flags, byte[] Body);

    public static class MqttEncoder
    {
        /// <summary>Complete two-byte packets. Read-only tables: never written after initialization.</summary>
        public static readonly byte[] PingRequest = { 0xC0, 0x00 };
        public static readonly byte[] DisconnectPacket = { 0xE0, 0x00 };

        private static int StringSize(string value)
        {
            int size = Encoding.UTF8.GetByteCount(value);
            if (size > ushort.MaxValue) throw new ArgumentException($"'{value[..Math.Min(value.Length, 32)]}...' exceeds 65535 UTF-8 bytes.");
            return 2 + size;
        }

        private static int TotalSize(int remaining) => 1 + VariableByteInteger.GetSize(remaining) + remaining;

        public static byte[] EncodeConnect(MqttConnectOptions options)
        {
            if (options.Password is not null && options.UserName is null)
                throw new ArgumentException("MQTT 3.1.1 does not allow a password without a user name.");
            if (options.WillQos > 2) throw new ArgumentOutOfRangeException(nameof(options), "Will QoS must be 0, 1 or 2.");
            bool hasWill = options.WillTopic is not null;

            int remaining = 10 + StringSize(options.ClientId);
            if (hasWill) remaining += StringSize(options.WillTopic!) + 2 + (options.WillPayload?.Length ?? 0);
            if (options.UserName is not null) remaining += StringSize(options.UserName);
            if (options.Password is not null) remaining += 2 + options.Password.Length;

            byte flags = 0;
            if (options.CleanSession) flags |= 0x02;
            if (hasWill) flags |= (byte)(0x04 | (options.WillQos << 3) | (options.WillRetain ? 0x20 : 0));
            if (options.Password is not null) flags |= 0x40;
            if (options.UserName is not null) flags |= 0x80;

            // The array is created from the computed size, so it is exactly the packet.
            var packet = new byte[TotalSize(remaining)];
            var writer = new MqttSpanWriter(packet);
            writer.WriteByte((byte)((int)MqttPacketType.Connect << 4));
            writer.WriteRemainingLength(remaining);
            writer.WriteString("MQTT");
            writer.WriteByte(4); // protocol level 3.1.1
            writer.WriteByte(flags);
            writer.WriteUInt16(options.KeepAliveSeconds);
            writer.WriteString(options.ClientId);
            if (hasWill)
            {
                writer.WriteString(options.WillTopic!);
                writer.WriteBinary(options.WillPayload ?? Array.Empty<byte>());
            }
            if (options.UserName is not null) writer.WriteString(options.UserName);
            if (options.Password is not null) writer.WriteBinary(options.Password);
            if (writer.Position != packet.Length) throw new InvalidOperationException("CONNECT size mismatch.");
            return packet;
        }

        public static int GetPublishSize(string topic, int payloadLength, byte qos) =>
            TotalSize(StringSize(topic) + (qos > 0 ? 2 : 0) + payloadLength);

        /// <summary>Encodes PUBLISH into <paramref name="destination"/> and returns the number of bytes written.</summary>
        public static int EncodePublish(Span<byte> destination, string topic, ReadOnlySpan<byte> payload, byte qos, bool retain, ushort packetId)
        {
            if (qos > 1) throw new NotSupportedException("This client publishes with QoS 0 or 1.");
            if (topic.Length == 0 || topic.AsSpan().IndexOfAny('+', '#') >= 0)
                throw new ArgumentException("A PUBLISH topic must be non-empty and free of wildcards.", nameof(topic));
            if (qos > 0 && packetId == 0) throw new ArgumentOutOfRangeException(nameof(packetId), "QoS 1 needs a non-zero packet id.");

            int remaining = StringSize(topic) + (qos > 0 ? 2 : 0) + payload.Length;
            int total = TotalSize(remaining);
            if (destination.Length < total) throw new ArgumentException("Destination too small for the PUBLISH packet.", nameof(destination));

            var writer = new MqttSpanWriter(destination);
            writer.WriteByte((byte)(((int)MqttPacketType.Publish << 4) | (qos << 1) | (retain ? 1 : 0)));
            writer.WriteRemainingLength(remaining);
            writer.WriteString(topic);
            if (qos > 0) writer.WriteUInt16(packetId);
            writer.WriteRaw(payload);
            return writer.Position;
        }

        public static byte[] EncodeSubscribe(ushort packetId, IReadOnlyList<(string Filter, byte Qos)> filters)
        {
            if (filters.Count == 0) throw new ArgumentException("SUBSCRIBE needs at least one topic filter.", nameof(filters));
            if (packetId == 0) throw new ArgumentOutOfRangeException(nameof(packetId));
            int remaining = 2;
            foreach ((string filter, byte qos) in filters)
            {
                if (qos > 1) throw new NotSupportedException("This client subscribes with QoS 0 or 1.");
                remaining += StringSize(filter) + 1;
            }
            var packet = new byte[TotalSize(remaining)];
            var writer = new MqttSpanWriter(packet);
            writer.WriteByte(0x82); // SUBSCRIBE with its mandatory reserved flags 0010
            writer.WriteRemainingLength(remaining);
            writer.WriteUInt16(packetId);
            foreach ((string filter, byte qos) in filters)
            {
                writer.WriteString(filter);
                writer.WriteByte(qos);
            }
            return packet;
        }

        public static void EncodePubAck(Span<byte> destination, ushort packetId)
        {
            destination[0] = (byte)((int)MqttPacketType.PubAck << 4);
            destination[1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2, 2), packetId);
        }
    }

    public static class MqttDecoder
    {
        public static async ValueTask<MqttPacket> ReadPacketAsync(Stream stream, int maxPacketSize, CancellationToken cancellationToken)
        {
            byte[] header = new byte[1 + VariableByteInteger.MaxSize];
            await SocketIO.ReadExactlyAsync(stream, header.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);

            int used = 1;
            int remaining;
            while (true)
            {
                if (used == header.Length) throw new WireFormatException("Remaining Length is longer than four bytes.");
                await SocketIO.ReadExactlyAsync(stream, header.AsMemory(used, 1), cancellationToken).ConfigureAwait(false);
                used++;
                OperationStatus status = VariableByteInteger.TryDecode(header.AsSpan(1, used - 1), out remaining, out _);
                if (status == OperationStatus.Done) break;
                if (status == OperationStatus.InvalidData) throw new WireFormatException("Malformed Remaining Length.");
            }

            if (remaining > maxPacketSize) throw new WireFormatException($"Packet of {remaining} bytes exceeds the limit of {maxPacketSize}.");
            var body = new byte[remaining];
            await SocketIO.ReadExactlyAsync(stream, body, cancellationToken).ConfigureAwait(false);
            return new MqttPacket((MqttPacketType)(header[0] >> 4), (byte)(header[0] & 0x0F), body);
        }

        public static (bool SessionPresent, byte ReturnCode) ParseConnAck(MqttPacket packet)
        {
            if (packet.Type != MqttPacketType.ConnAck || packet.Body.Length != 2)
                throw new WireFormatException("Expected a two-byte CONNACK.");
            return ((packet.Body[0] & 0x01) != 0, packet.Body[1]);
        }

        public static ushort ParsePacketId(MqttPacket packet)
        {
            if (packet.Body.Length != 2) throw new WireFormatException($"{packet.Type} must carry exactly a packet id.");
            return BinaryPrimitives.ReadUInt16BigEndian(packet.Body);
        }

        public static (MqttApplicationMessage Message, ushort PacketId) ParsePublish(MqttPacket packet)
        {
            byte qos = (byte)((packet.Flags >> 1) & 0x03);
            if (qos == 3) throw new WireFormatException("PUBLISH with QoS 3.");
            ReadOnlySpan<byte> body = packet.Body;
            if (body.Length < 2) throw new WireFormatException("PUBLISH too short for its topic length.");
            int topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
            int offset = 2 + topicLength;
            if (qos > 0) offset += 2;
            if (offset > body.Length) throw new WireFormatException("PUBLISH topic or packet id runs past the packet.");

            string topic = Encoding.UTF8.GetString(body.Slice(2, topicLength));
            ushort packetId = qos > 0 ? BinaryPrimitives.ReadUInt16BigEndian(body.Slice(2 + topicLength, 2)) : (ushort)0;
            // The body array is owned by this packet, so the payload can reference it without copying.
            var payload = new ReadOnlyMemory<byte>(packet.Body, offset, packet.Body.Length - offset);
            return (new MqttApplicationMessage(topic, payload, qos, (packet.Flags & 0x01) != 0), packetId);
        }
    }

    /// <summary>
    /// An MQTT 3.1.1 client holding one TCP connection for its lifetime: every publish, subscribe and ping
    /// goes over the same stream, serialised by a write lock.
    /// </summary>
    public sealed class MqttClient : IAsyncDisposable
    {
        private const int MaxIncomingPacket = 1024 * 1024;

        private readonly TcpClient _tcp = new TcpClient { NoDelay = true };
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly ConcurrentDictionary<ushort, TaskCompletionSource<MqttPacket>> _awaitingAck = new();
        private readonly Channel<MqttApplicationMessage> _messages = Channel.CreateBounded<MqttApplicationMessage>(
            new BoundedChannelOptions(1024) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        private readonly CancellationTokenSource _shutdown = new CancellationTokenSource();
        private readonly object _idGate = new object();
        private NetworkStream? _stream;
        private Task? _receiveLoop;
        private Task? _keepAliveLoop;
        private ushort _lastPacketId;
        private long _lastSendTicks;
        private long _lastReceiveTicks;

        public ChannelReader<MqttApplicationMessage> Messages => _messages.Reader;

        public async Task<bool> ConnectAsync(string host, int port, MqttConnectOptions options, CancellationToken cancellationToken = default)
        {
            if (_stream is not null) throw new InvalidOperationException("Already connected.");
            await _tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            _stream = _tcp.GetStream();

            await SendAsync(MqttEncoder.EncodeConnect(options), cancellationToken).ConfigureAwait(false);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            MqttPacket reply = await MqttDecoder.ReadPacketAsync(_stream, MaxIncomingPacket, timeout.Token).ConfigureAwait(false);
            (bool sessionPresent, byte returnCode) = MqttDecoder.ParseConnAck(reply);
            if (returnCode != 0)
            {
                _tcp.Close();
                throw new IOException($"The broker refused the connection (return code {returnCode}).");
            }

            Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(_shutdown.Token));
            if (options.KeepAliveSeconds > 0)
            {
                _keepAliveLoop = Task.Run(() => KeepAliveLoopAsync(TimeSpan.FromSeconds(options.KeepAliveSeconds), _shutdown.Token));
            }
            return sessionPresent;
        }

        public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, byte qos = 0, bool retain = false, CancellationToken cancellationToken = default)
        {
            ushort packetId = 0;
            TaskCompletionSource<MqttPacket>? ack = null;
            if (qos > 0)
            {
                ack = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
                packetId = RegisterPacketId(ack);
            }

            int size = MqttEncoder.GetPublishSize(topic, payload.Length, qos);
            byte[] rented = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                int length = MqttEncoder.EncodePublish(rented, topic, payload.Span, qos, retain, packetId);
                // Rent may hand out a larger array; only the encoded packet goes on the wire.
                await SendAsync(rented.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (ack is not null) _awaitingAck.TryRemove(packetId, out _);
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            if (ack is not null)
            {
                await WaitForAckAsync(packetId, ack, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task<byte[]> SubscribeAsync(IReadOnlyList<(string Filter, byte Qos)> filters, CancellationToken cancellationToken = default)
        {
            var ack = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
            ushort packetId = RegisterPacketId(ack);
            try
            {
                await SendAsync(MqttEncoder.EncodeSubscribe(packetId, filters), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _awaitingAck.TryRemove(packetId, out _);
                throw;
            }

            MqttPacket subAck = await WaitForAckAsync(packetId, ack, cancellationToken).ConfigureAwait(false);
            if (subAck.Type != MqttPacketType.SubAck || subAck.Body.Length != 2 + filters.Count)
                throw new WireFormatException("SUBACK does not match the SUBSCRIBE it answers.");
            byte[] grants = subAck.Body.AsSpan(2).ToArray();
            foreach (byte grant in grants)
            {
                if (grant != 0x80 && grant > 2) throw new WireFormatException($"Invalid SUBACK return code 0x{grant:x2}.");
            }
            return grants;
        }

        private async Task<MqttPacket> WaitForAckAsync(ushort packetId, TaskCompletionSource<MqttPacket> ack, CancellationToken cancellationToken)
        {
            try
            {
                return await ack.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _awaitingAck.TryRemove(packetId, out _);
            }
        }

        /// <summary>Picks the next free non-zero id and registers its waiter in one step under the lock.</summary>
        private ushort RegisterPacketId(TaskCompletionSource<MqttPacket> ack)
        {
            lock (_idGate)
            {
                for (int attempt = 0; attempt < ushort.MaxValue; attempt++)
                {
                    _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
                    if (_awaitingAck.TryAdd(_lastPacketId, ack)) return _lastPacketId;
                }
            }
            throw new InvalidOperationException("All 65535 packet ids are awaiting acknowledgement.");
        }

        private async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
        {
            NetworkStream stream = _stream ?? throw new InvalidOperationException("Not connected.");
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // NetworkStream.WriteAsync completes only when the whole buffer has been handed to the socket.
                await stream.WriteAsync(packet, CancellationToken.None).ConfigureAwait(false);
                Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
        {
            NetworkStream stream = _stream!;
            Exception? failure = null;
            byte[] pubAck = new byte[4];
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    MqttPacket packet = await MqttDecoder.ReadPacketAsync(stream, MaxIncomingPacket, cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                    switch (packet.Type)
                    {
                        case MqttPacketType.Publish:
                            (MqttApplicationMessage message, ushort id) = MqttDecoder.ParsePublish(packet);
                            if (message.Qos == 2) throw new WireFormatException("QoS 2 delivery was never requested.");
                            await _messages.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                            if (message.Qos == 1)
                            {
                                MqttEncoder.EncodePubAck(pubAck, id);
                                await SendAsync(pubAck, cancellationToken).ConfigureAwait(false);
                            }
                            break;
                        case MqttPacketType.PubAck:
                        case MqttPacketType.SubAck:
                        case MqttPacketType.UnsubAck:
                            if (packet.Body.Length < 2) throw new WireFormatException($"{packet.Type} without a packet id.");
                            ushort ackId = BinaryPrimitives.ReadUInt16BigEndian(packet.Body);
                            if (_awaitingAck.TryGetValue(ackId, out TaskCompletionSource<MqttPacket>? waiter)) waiter.TrySetResult(packet);
                            break;
                        case MqttPacketType.PingResp:
                            break;
                        default:
                            throw new WireFormatException($"Unexpected {packet.Type} from the broker.");
                    }
                }
            }
            catch (Exception ex)
            {
                // After shutdown was requested, errors from the closed socket are the expected way out.
                if (!cancellationToken.IsCancellationRequested) failure = ex;
            }
            finally
            {
                var error = new IOException("The MQTT connection closed.", failure);
                foreach (KeyValuePair<ushort, TaskCompletionSource<MqttPacket>> entry in _awaitingAck)
                {
                    entry.Value.TrySetException(error);
                }
                _messages.Writer.TryComplete(failure);
                _tcp.Close();
            }
        }

        private async Task KeepAliveLoopAsync(TimeSpan keepAlive, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(keepAlive / 2);
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    long now = Environment.TickCount64;
                    if (now - Volatile.Read(ref _lastReceiveTicks) > keepAlive.TotalMilliseconds * 1.5)
                    {
                        _tcp.Close(); // the broker went silent; the receive loop reports the failure
                        return;
                    }
                    if (now - Volatile.Read(ref _lastSendTicks) >= keepAlive.TotalMilliseconds / 2)
                    {
                        await SendAsync(MqttEncoder.PingRequest, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                _tcp.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stream is not null && _tcp.Connected)
            {
                try
                {
                    await SendAsync(MqttEncoder.DisconnectPacket, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The connection is already gone; DISCONNECT is a courtesy.
                }
            }
            _shutdown.Cancel();
            _tcp.Close();
            if (_receiveLoop is not null) await _receiveLoop.ConfigureAwait(false);
            if (_keepAliveLoop is not null) await _keepAliveLoop.ConfigureAwait(false);
            _shutdown.Dispose();
            _writeLock.Dispose();
        }
    }
}
