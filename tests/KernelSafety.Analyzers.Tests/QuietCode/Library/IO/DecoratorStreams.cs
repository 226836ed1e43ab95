using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Net.IO
{
    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) with an incremental API.</summary>
    public static class Crc32
    {
        /// <summary>The value to start an incremental computation from.</summary>
        public const uint InitialState = 0xFFFF_FFFFu;

        // Built once by the type initializer and only ever read afterwards.
        private static readonly uint[] s_table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < table.Length; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }

        /// <summary>Feeds <paramref name="data"/> into a running state started at <see cref="InitialState"/>.</summary>
        public static uint Append(uint state, ReadOnlySpan<byte> data)
        {
            uint[] table = s_table;
            foreach (byte b in data)
            {
                state = table[(state ^ b) & 0xFF] ^ (state >> 8);
            }

            return state;
        }

        /// <summary>Turns a running state into the final checksum.</summary>
        public static uint Finish(uint state) => state ^ 0xFFFF_FFFFu;

        /// <summary>Computes the checksum of one buffer.</summary>
        public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(InitialState, data));

        /// <summary>
        /// Checks a frame made of a payload followed by its big-endian CRC-32 and returns the payload.
        /// </summary>
        public static bool TryVerifyTrailer(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> payload)
        {
            if (frame.Length < sizeof(uint))
            {
                payload = default;
                return false;
            }

            ReadOnlySpan<byte> body = frame.Slice(0, frame.Length - sizeof(uint));
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(body.Length));
            if (Compute(body) != expected)
            {
                payload = default;
                return false;
            }

            payload = body;
            return true;
        }
    }

    /// <summary>
    /// A write-only decorator that forwards everything to the inner stream while computing a CRC-32,
    /// and appends the checksum (big-endian) when <see cref="Complete"/> or <see cref="CompleteAsync"/> is called.
    /// </summary>
    public sealed class CrcAppendingStream : Stream
    {
        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private uint _state = Crc32.InitialState;
        private long _bytesWritten;
        private bool _completed;
        private bool _disposed;

        public CrcAppendingStream(Stream inner, bool leaveOpen = false)
        {
            ArgumentNullException.ThrowIfNull(inner);
            if (!inner.CanWrite)
            {
                throw new ArgumentException("The inner stream must be writable.", nameof(inner));
            }

            _inner = inner;
            _leaveOpen = leaveOpen;
        }

        /// <summary>Number of payload bytes written so far, the trailer excluded.</summary>
        public long BytesWritten => _bytesWritten;

        /// <summary>The checksum of the bytes written so far.</summary>
        public uint CurrentChecksum => Crc32.Finish(_state);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => !_disposed && !_completed;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            Write(new ReadOnlySpan<byte>(buffer, offset, count));
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            EnsureWritable();

            // The checksum only covers bytes that reached the inner stream: if the write throws, the state
            // is left as it was.
            _inner.Write(buffer);
            _state = Crc32.Append(_state, buffer);
            _bytesWritten += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            EnsureWritable();
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            _state = Crc32.Append(_state, buffer.Span);
            _bytesWritten += buffer.Length;
        }

        /// <summary>Writes the four-byte trailer. Further writes are rejected.</summary>
        public void Complete()
        {
            EnsureWritable();
            Span<byte> trailer = stackalloc byte[sizeof(uint)];
            BinaryPrimitives.WriteUInt32BigEndian(trailer, Crc32.Finish(_state));
            _inner.Write(trailer);
            _inner.Flush();
            _completed = true;
        }

        /// <summary>Asynchronously writes the four-byte trailer. Further writes are rejected.</summary>
        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            EnsureWritable();
            byte[] trailer = new byte[sizeof(uint)];
            BinaryPrimitives.WriteUInt32BigEndian(trailer, Crc32.Finish(_state));
            await _inner.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            _completed = true;
        }

        public override void Flush()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inner.Flush();
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _inner.FlushAsync(cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // Disposing does not write the trailer on the caller's behalf: a stream abandoned after a failure
            // must not end with a checksum that makes a truncated payload look complete.
            if (disposing && !_disposed)
            {
                _disposed = true;
                if (!_leaveOpen)
                {
                    _inner.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        private void EnsureWritable()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_completed)
            {
                throw new InvalidOperationException("The checksum trailer has already been written.");
            }
        }
    }

    /// <summary>
    /// A decorator that mirrors every byte read from or written to the primary stream into a sink stream,
    /// for example to capture a protocol exchange for diagnostics.
    /// </summary>
    public sealed class TeeStream : Stream
    {
        private readonly Stream _primary;
        private readonly Stream _sink;
        private readonly bool _leaveOpen;
        private bool _disposed;

        public TeeStream(Stream primary, Stream sink, bool leaveOpen = false)
        {
            ArgumentNullException.ThrowIfNull(primary);
            ArgumentNullException.ThrowIfNull(sink);
            if (!sink.CanWrite)
            {
                throw new ArgumentException("The sink must be writable.", nameof(sink));
            }

            _primary = primary;
            _sink = sink;
            _leaveOpen = leaveOpen;
        }

        public override bool CanRead => !_disposed && _primary.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => !_disposed && _primary.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            return Read(buffer.AsSpan(offset, count));
        }

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int read = _primary.Read(buffer);

            // Only the bytes the primary stream produced are mirrored; the rest of the caller's buffer is untouched.
            if (read > 0)
            {
                _sink.Write(buffer.Slice(0, read));
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int read = await _primary.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                await _sink.WriteAsync(buffer.Slice(0, read), cancellationToken).ConfigureAwait(false);
            }

            return read;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            Write(new ReadOnlySpan<byte>(buffer, offset, count));
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _primary.Write(buffer);
            _sink.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _primary.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await _sink.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override void Flush()
        {
            _primary.Flush();
            _sink.Flush();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await _primary.FlushAsync(cancellationToken).ConfigureAwait(false);
            await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                if (!_leaveOpen)
                {
                    _primary.Dispose();
                    _sink.Dispose();
                }
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Limits the throughput of the wrapped stream with a token bucket. Reads and writes are split into
    /// chunks no larger than the burst size, and each chunk waits until enough tokens have accumulated.
    /// </summary>
    public sealed class RateLimitedStream : Stream
    {
        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly long _bytesPerSecond;
        private readonly int _burst;
        private readonly object _gate = new object();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _tokens;
        private TimeSpan _lastRefill;
        private bool _disposed;

        public RateLimitedStream(Stream inner, long bytesPerSecond, int burstBytes, bool leaveOpen = false)
        {
            ArgumentNullException.ThrowIfNull(inner);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstBytes);

            _inner = inner;
            _bytesPerSecond = bytesPerSecond;
            _burst = burstBytes;
            _leaveOpen = leaveOpen;
            _tokens = burstBytes;
        }

        public override bool CanRead => !_disposed && _inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => !_disposed && _inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            return Read(buffer.AsSpan(offset, count));
        }

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty)
            {
                return 0;
            }

            int allowance = Math.Min(buffer.Length, _burst);
            WaitForTokens(allowance);
            int read = _inner.Read(buffer.Slice(0, allowance));
            Refund(allowance - read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty)
            {
                return 0;
            }

            int allowance = Math.Min(buffer.Length, _burst);
            await WaitForTokensAsync(allowance, cancellationToken).ConfigureAwait(false);
            int read = await _inner.ReadAsync(buffer.Slice(0, allowance), cancellationToken).ConfigureAwait(false);
            Refund(allowance - read);
            return read;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            Write(new ReadOnlySpan<byte>(buffer, offset, count));
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (!buffer.IsEmpty)
            {
                int chunk = Math.Min(buffer.Length, _burst);
                WaitForTokens(chunk);
                _inner.Write(buffer.Slice(0, chunk));
                buffer = buffer.Slice(chunk);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (!buffer.IsEmpty)
            {
                int chunk = Math.Min(buffer.Length, _burst);
                await WaitForTokensAsync(chunk, cancellationToken).ConfigureAwait(false);
                await _inner.WriteAsync(buffer.Slice(0, chunk), cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(chunk);
            }
        }

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                if (!_leaveOpen)
                {
                    _inner.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        private void WaitForTokens(int amount)
        {
            TimeSpan delay;
            while ((delay = TryTake(amount)) > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }
        }

        private async ValueTask WaitForTokensAsync(int amount, CancellationToken cancellationToken)
        {
            TimeSpan delay;
            while ((delay = TryTake(amount)) > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Takes the tokens and returns zero, or returns how long to wait before trying again.</summary>
        private TimeSpan TryTake(int amount)
        {
            Debug.Assert(amount > 0 && amount <= _burst);
            lock (_gate)
            {
                TimeSpan now = _clock.Elapsed;
                double elapsedSeconds = (now - _lastRefill).TotalSeconds;
                _lastRefill = now;
                _tokens = Math.Min(_burst, _tokens + (elapsedSeconds * _bytesPerSecond));

                if (_tokens >= amount)
                {
                    _tokens -= amount;
                    return TimeSpan.Zero;
                }

                double missing = amount - _tokens;
                double waitMs = Math.Ceiling(missing * 1000.0 / _bytesPerSecond);
                return TimeSpan.FromMilliseconds(Math.Max(1.0, waitMs));
            }
        }

        private void Refund(int unused)
        {
            if (unused <= 0)
            {
                return;
            }

            lock (_gate)
            {
                _tokens = Math.Min(_burst, _tokens + unused);
            }
        }
    }
}
