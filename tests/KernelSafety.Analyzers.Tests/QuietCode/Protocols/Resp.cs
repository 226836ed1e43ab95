using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Resp
{
    public enum RespKind
    {
        SimpleString,
        Error,
        Integer,
        BulkString,
        Array,
        Null,
    }

    /// <summary>One RESP2 reply. Bulk payloads are owned copies, so a value outlives the pipe buffer.</summary>
    public sealed class RespValue
    {
        public static readonly RespValue Null = new RespValue(RespKind.Null, null, 0, null);

        private RespValue(RespKind kind, byte[]? bytes, long integer, RespValue[]? items)
        {
            Kind = kind;
            Bytes = bytes;
            Integer = integer;
            Items = items;
        }

        public RespKind Kind { get; }
        public byte[]? Bytes { get; }
        public long Integer { get; }
        public RespValue[]? Items { get; }

        public static RespValue Simple(byte[] text) => new RespValue(RespKind.SimpleString, text, 0, null);
        public static RespValue ErrorText(byte[] text) => new RespValue(RespKind.Error, text, 0, null);
        public static RespValue FromInteger(long value) => new RespValue(RespKind.Integer, null, value, null);
        public static RespValue Bulk(byte[] payload) => new RespValue(RespKind.BulkString, payload, 0, null);
        public static RespValue FromArray(RespValue[] items) => new RespValue(RespKind.Array, null, 0, items);

        /// <summary>The payload array is exactly the reply's bytes, so decoding all of it is right.</summary>
        public string? AsString() => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);

        public override string ToString() => Kind switch
        {
            RespKind.Integer => Integer.ToString(),
            RespKind.Array => $"[{Items!.Length} items]",
            RespKind.Null => "(nil)",
            _ => AsString() ?? string.Empty,
        };
    }

    public sealed class RespErrorException : Exception
    {
        public RespErrorException(string message) : base(message) { }
    }

    /// <summary>Encodes commands as RESP arrays of bulk strings into any buffer writer.</summary>
    public static class RespCommandWriter
    {
        // Longest "$-9223372036854775808\r\n" is 1 + 20 + 2 bytes.
        private const int MaxPrefixedIntegerLength = 23;

        public static void WriteCommand(IBufferWriter<byte> writer, IReadOnlyList<string> arguments)
        {
            if (arguments.Count == 0) throw new ArgumentException("A command needs at least its name.", nameof(arguments));
            WritePrefixed(writer, (byte)'*', arguments.Count);
            for (int i = 0; i < arguments.Count; i++)
            {
                WriteBulk(writer, arguments[i]);
            }
        }

        public static void WritePrefixed(IBufferWriter<byte> writer, byte prefix, long value)
        {
            Span<byte> span = writer.GetSpan(MaxPrefixedIntegerLength);
            span[0] = prefix;
            if (!Utf8Formatter.TryFormat(value, span.Slice(1), out int digits))
            {
                throw new InvalidOperationException("The buffer writer returned less space than requested.");
            }
            span[1 + digits] = (byte)'\r';
            span[2 + digits] = (byte)'\n';
            writer.Advance(digits + 3);
        }

        public static void WriteBulk(IBufferWriter<byte> writer, string text)
        {
            int byteCount = Encoding.UTF8.GetByteCount(text);
            WritePrefixed(writer, (byte)'$', byteCount);
            Span<byte> destination = writer.GetSpan(byteCount + 2);
            int written = Encoding.UTF8.GetBytes(text, destination);
            Debug.Assert(written == byteCount);
            destination[written] = (byte)'\r';
            destination[written + 1] = (byte)'\n';
            writer.Advance(written + 2);
        }

        /// <summary>Writes a binary payload in chunks no larger than what the writer hands out.</summary>
        public static void WriteBulk(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
        {
            WritePrefixed(writer, (byte)'$', payload.Length);
            while (!payload.IsEmpty)
            {
                Span<byte> destination = writer.GetSpan(1);
                int chunk = Math.Min(destination.Length, payload.Length);
                payload.Slice(0, chunk).CopyTo(destination);
                writer.Advance(chunk);
                payload = payload.Slice(chunk);
            }
            Span<byte> crlf = writer.GetSpan(2);
            crlf[0] = (byte)'\r';
            crlf[1] = (byte)'\n';
            writer.Advance(2);
        }
    }

    /// <summary>Incremental RESP2 parser: returns false (and consumes nothing) until a whole reply is buffered.</summary>
    public static class RespParser
    {
        public const int MaxBulkLength = 512 * 1024 * 1024;
        public const int MaxArrayLength = 1024 * 1024;
        public const int MaxDepth = 32;
        private const int MaxIntegerLineLength = 20;

        public static bool TryParse(ref ReadOnlySequence<byte> buffer, out RespValue value)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (TryReadValue(ref reader, 0, out value))
            {
                buffer = buffer.Slice(reader.Position);
                return true;
            }
            return false;
        }

        private static bool TryReadValue(ref SequenceReader<byte> reader, int depth, out RespValue value)
        {
            value = RespValue.Null;
            if (depth > MaxDepth) throw new WireFormatException("RESP reply nests too deeply.");
            if (!reader.TryRead(out byte prefix)) return false;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: true)) return false;

            switch (prefix)
            {
                case (byte)'+':
                    value = RespValue.Simple(line.ToArray());
                    return true;
                case (byte)'-':
                    value = RespValue.ErrorText(line.ToArray());
                    return true;
                case (byte)':':
                    value = RespValue.FromInteger(ParseInteger(line));
                    return true;
                case (byte)'$':
                    return TryReadBulk(ref reader, ParseInteger(line), out value);
                case (byte)'*':
                    return TryReadArray(ref reader, ParseInteger(line), depth, out value);
                default:
                    throw new WireFormatException($"Unknown RESP type byte 0x{prefix:x2}.");
            }
        }

        private static bool TryReadBulk(ref SequenceReader<byte> reader, long length, out RespValue value)
        {
            value = RespValue.Null;
            if (length == -1) return true;
            if (length < 0 || length > MaxBulkLength)
            {
                throw new WireFormatException($"Bulk length {length} is out of range.");
            }
            if (reader.Remaining < length + 2) return false;

            var payload = new byte[length];
            if (!reader.TryCopyTo(payload)) return false;
            reader.Advance(length);
            if (!reader.IsNext("\r\n"u8, advancePast: true))
            {
                throw new WireFormatException("Bulk string is not terminated by CRLF.");
            }
            value = RespValue.Bulk(payload);
            return true;
        }

        private static bool TryReadArray(ref SequenceReader<byte> reader, long count, int depth, out RespValue value)
        {
            value = RespValue.Null;
            if (count == -1) return true;
            if (count < 0 || count > MaxArrayLength)
            {
                throw new WireFormatException($"Array length {count} is out of range.");
            }
            // Every element takes at least three bytes ("+\r\n"); do not allocate for data that has not arrived.
            if (count * 3 > reader.Remaining) return false;
            var items = new RespValue[count];
            for (int i = 0; i < items.Length; i++)
            {
                if (!TryReadValue(ref reader, depth + 1, out items[i])) return false;
            }
            value = RespValue.FromArray(items);
            return true;
        }

        private static long ParseInteger(ReadOnlySequence<byte> line)
        {
            if (line.Length == 0 || line.Length > MaxIntegerLineLength)
            {
                throw new WireFormatException("RESP integer line is empty or too long.");
            }
            Span<byte> digits = stackalloc byte[MaxIntegerLineLength];
            // line.Length was just checked against the stackalloc size.
            line.CopyTo(digits);
            ReadOnlySpan<byte> text = digits.Slice(0, (int)line.Length);
            if (!Utf8Parser.TryParse(text, out long result, out int consumed) || consumed != text.Length)
            {
                throw new WireFormatException("RESP integer line is not a number.");
            }
            return result;
        }
    }

    /// <summary>
    /// A pipelined RESP client over one TCP connection. Commands are written in order under a lock and their
    /// completions are queued in the same order; a single read loop matches replies to that queue.
    /// (System.IO.Pipelines is not part of the net8.0 shared framework, so buffering is done by hand.)
    /// </summary>
    public sealed class RespConnection : IAsyncDisposable
    {
        private const int InitialReceiveSize = 8 * 1024;

        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly ArrayBufferWriter<byte> _outgoing = new ArrayBufferWriter<byte>(4096);
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly Channel<TaskCompletionSource<RespValue>> _pending =
            Channel.CreateUnbounded<TaskCompletionSource<RespValue>>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _shutdown = new CancellationTokenSource();
        private readonly Task _readLoop;
        private Exception? _failure;

        private RespConnection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _readLoop = Task.Run(ReadLoopAsync);
        }

        public static async Task<RespConnection> ConnectAsync(string host, int port = 6379, CancellationToken cancellationToken = default)
        {
            Socket socket = await SocketIO.ConnectTcpAsync(host, port, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return new RespConnection(socket);
        }

        public Task<RespValue> ExecuteAsync(params string[] arguments) => ExecuteAsync(arguments, CancellationToken.None);

        public async Task<RespValue> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
        {
            Task<RespValue>[] replies = await SendBatchAsync(new[] { arguments }, cancellationToken).ConfigureAwait(false);
            return ThrowIfError(await replies[0].ConfigureAwait(false));
        }

        /// <summary>Encodes every command, writes them in one call, and returns one reply task per command in order.</summary>
        public async Task<Task<RespValue>[]> SendBatchAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken)
        {
            var replies = new Task<RespValue>[commands.Count];
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_failure is not null) throw new IOException("The connection has failed.", _failure);
                _outgoing.Clear();
                for (int i = 0; i < commands.Count; i++)
                {
                    RespCommandWriter.WriteCommand(_outgoing, commands[i]);
                }
                for (int i = 0; i < commands.Count; i++)
                {
                    var completion = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (!_pending.Writer.TryWrite(completion))
                    {
                        throw new IOException("The connection is closed.", _failure);
                    }
                    replies[i] = completion.Task;
                }
                // Not cancellable: a half-written pipeline would desynchronise requests and replies.
                await _stream.WriteAsync(_outgoing.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                Fail(ex);
                throw;
            }
            finally
            {
                _writeLock.Release();
            }
            return replies;
        }

        public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            RespValue reply = await ExecuteAsync(new[] { "GET", key }, cancellationToken).ConfigureAwait(false);
            return reply.AsString();
        }

        public async Task SetAsync(string key, string value, TimeSpan? expiry = null, CancellationToken cancellationToken = default)
        {
            string[] command = expiry is { } ttl
                ? new[] { "SET", key, value, "PX", ((long)ttl.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) }
                : new[] { "SET", key, value };
            RespValue reply = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
            if (reply.Kind != RespKind.SimpleString) throw new WireFormatException("SET did not answer +OK.");
        }

        public async Task<long> IncrementAsync(string key, CancellationToken cancellationToken = default)
        {
            RespValue reply = await ExecuteAsync(new[] { "INCR", key }, cancellationToken).ConfigureAwait(false);
            if (reply.Kind != RespKind.Integer) throw new WireFormatException("INCR did not answer an integer.");
            return reply.Integer;
        }

        private static RespValue ThrowIfError(RespValue reply)
        {
            if (reply.Kind == RespKind.Error) throw new RespErrorException(reply.AsString() ?? "ERR");
            return reply;
        }

        private async Task ReadLoopAsync()
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveSize);
            int buffered = 0;
            try
            {
                while (true)
                {
                    if (buffered == buffer.Length)
                    {
                        if (buffer.Length >= RespParser.MaxBulkLength + 64) throw new WireFormatException("Reply too large.");
                        byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, buffered).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int read = await _stream.ReadAsync(buffer.AsMemory(buffered), _shutdown.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new EndOfStreamException(buffered == 0
                            ? "The server closed the connection."
                            : "The connection closed inside a reply.");
                    }
                    buffered += read;

                    var unparsed = new ReadOnlySequence<byte>(buffer, 0, buffered);
                    while (RespParser.TryParse(ref unparsed, out RespValue reply))
                    {
                        if (!_pending.Reader.TryRead(out TaskCompletionSource<RespValue>? waiter))
                        {
                            throw new WireFormatException("The server sent a reply nobody asked for.");
                        }
                        waiter.TrySetResult(reply);
                    }

                    // Keep the incomplete tail: it starts at buffered - remaining and runs to buffered.
                    int remaining = (int)unparsed.Length;
                    if (remaining != buffered)
                    {
                        buffer.AsSpan(buffered - remaining, remaining).CopyTo(buffer);
                        buffered = remaining;
                    }
                }
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Fail(Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
            _pending.Writer.TryComplete(ex);
            while (_pending.Reader.TryRead(out TaskCompletionSource<RespValue>? waiter))
            {
                waiter.TrySetException(new IOException("The connection failed before the reply arrived.", ex));
            }
            _socket.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            _shutdown.Cancel();
            Fail(new ObjectDisposedException(nameof(RespConnection)));
            await _readLoop.ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            _writeLock.Dispose();
            _shutdown.Dispose();
        }
    }

    /// <summary>
    /// A synchronous RESP client for scripts and tools: one blocking socket, one command at a time,
    /// request bytes built in a rented buffer and sent up to their encoded length.
    /// </summary>
    public sealed class RespBlockingClient : IDisposable
    {
        private readonly Socket _socket;
        private byte[] _receiveBuffer = new byte[16 * 1024];
        private int _buffered;

        public RespBlockingClient(string host, int port = 6379)
        {
            NetOrder.CheckedPort(port);
            _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                _socket.Connect(host, port);
            }
            catch
            {
                _socket.Dispose();
                throw;
            }
        }

        /// <summary>Sends an inline-free, fully framed command built from a key and a raw value.</summary>
        public RespValue SetRaw(string key, ReadOnlySpan<byte> value)
        {
            int keyBytes = Encoding.UTF8.GetMaxByteCount(key.Length);
            byte[] rented = ArrayPool<byte>.Shared.Rent(64 + keyBytes + value.Length);
            try
            {
                int length = 0;
                length += Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n", rented.AsSpan(length));
                length += WriteBulk(rented.AsSpan(length), key);
                length += WriteBulk(rented.AsSpan(length), value);
                // The pooled array may be longer than what was encoded: send exactly the encoded prefix.
                _socket.Send(rented, 0, length, SocketFlags.None);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            return ReadReply();
        }

        public RespValue Execute(params string[] arguments)
        {
            var request = new ArrayBufferWriter<byte>(256);
            RespCommandWriter.WriteCommand(request, arguments);
            // Blocking Send transmits the whole span or throws.
            _socket.Send(request.WrittenSpan, SocketFlags.None);
            return ReadReply();
        }

        private static int WriteBulk(Span<byte> destination, string text)
        {
            int payload = Encoding.UTF8.GetByteCount(text);
            if (!Utf8Formatter.TryFormat(payload, destination.Slice(1), out int digits)) throw new ArgumentException("Destination too small.");
            destination[0] = (byte)'$';
            int pos = 1 + digits;
            destination[pos++] = (byte)'\r';
            destination[pos++] = (byte)'\n';
            pos += Encoding.UTF8.GetBytes(text, destination.Slice(pos));
            destination[pos++] = (byte)'\r';
            destination[pos++] = (byte)'\n';
            return pos;
        }

        private static int WriteBulk(Span<byte> destination, ReadOnlySpan<byte> payload)
        {
            if (!Utf8Formatter.TryFormat(payload.Length, destination.Slice(1), out int digits)) throw new ArgumentException("Destination too small.");
            destination[0] = (byte)'$';
            int pos = 1 + digits;
            destination[pos++] = (byte)'\r';
            destination[pos++] = (byte)'\n';
            payload.CopyTo(destination.Slice(pos));
            pos += payload.Length;
            destination[pos++] = (byte)'\r';
            destination[pos++] = (byte)'\n';
            return pos;
        }

        private RespValue ReadReply()
        {
            while (true)
            {
                var sequence = new ReadOnlySequence<byte>(_receiveBuffer, 0, _buffered);
                if (RespParser.TryParse(ref sequence, out RespValue reply))
                {
                    int consumed = _buffered - (int)sequence.Length;
                    // Shift the unconsumed tail (pipelined data) to the front; both ranges lie inside _buffered
                    // and Array.Copy is specified to handle the overlap.
                    Array.Copy(_receiveBuffer, consumed, _receiveBuffer, 0, _buffered - consumed);
                    _buffered -= consumed;
                    return reply.Kind == RespKind.Error ? throw new RespErrorException(reply.AsString() ?? "ERR") : reply;
                }

                if (_buffered == _receiveBuffer.Length)
                {
                    if (_receiveBuffer.Length >= RespParser.MaxBulkLength) throw new WireFormatException("Reply too large.");
                    Array.Resize(ref _receiveBuffer, _receiveBuffer.Length * 2);
                }
                int received = _socket.Receive(_receiveBuffer, _buffered, _receiveBuffer.Length - _buffered, SocketFlags.None);
                if (received == 0) throw new EndOfStreamException("The server closed the connection.");
                _buffered += received;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
