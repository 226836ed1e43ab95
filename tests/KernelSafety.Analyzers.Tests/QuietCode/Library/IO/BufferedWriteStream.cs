using System;
using System.Buffers;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Net.IO
{
    /// <summary>
    /// A write-only decorator that coalesces small writes into a pooled buffer and forwards them
    /// to the inner stream when the buffer is full or when the caller flushes.
    /// </summary>
    /// <remarks>
    /// Like every <see cref="Stream"/>, an instance is not safe for concurrent use by several writers.
    /// Writes that are at least as large as the buffer bypass it once the pending bytes have been
    /// written, so that large payloads are not copied twice.
    /// </remarks>
    public sealed class BufferedWriteStream : Stream
    {
        /// <summary>The default number of bytes buffered before the inner stream is written.</summary>
        public const int DefaultBufferSize = 16 * 1024;

        /// <summary>The smallest buffer accepted by the constructor.</summary>
        public const int MinimumBufferSize = 64;

        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly int _capacity;
        private byte[]? _buffer;
        private int _pending;

        public BufferedWriteStream(Stream inner, int bufferSize = DefaultBufferSize, bool leaveOpen = false)
        {
            ArgumentNullException.ThrowIfNull(inner);
            if (!inner.CanWrite)
            {
                throw new ArgumentException("The inner stream must be writable.", nameof(inner));
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, MinimumBufferSize);

            _inner = inner;
            _leaveOpen = leaveOpen;
            _capacity = bufferSize;

            // The pool may hand back a larger array than asked for; only the first _capacity bytes are used
            // so that the flush threshold is the one the caller configured.
            _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        }

        /// <summary>The number of bytes that are buffered and not yet written to the inner stream.</summary>
        public int PendingBytes => _pending;

        /// <summary>The configured buffer size.</summary>
        public int BufferSize => _capacity;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => _buffer is not null;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            byte[] target = EnsureNotDisposed();

            while (count > 0)
            {
                if (_pending == 0 && count >= _capacity)
                {
                    // Nothing is buffered and the rest would fill the buffer anyway: hand it over directly.
                    _inner.Write(buffer, offset, count);
                    return;
                }

                int chunk = Math.Min(count, _capacity - _pending);
                Buffer.BlockCopy(buffer, offset, target, _pending, chunk);
                _pending += chunk;
                offset += chunk;
                count -= chunk;

                if (_pending == _capacity)
                {
                    FlushPending();
                }
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            byte[] target = EnsureNotDisposed();

            if (_pending == 0 && buffer.Length >= _capacity)
            {
                _inner.Write(buffer);
                return;
            }

            int free = _capacity - _pending;
            if (buffer.Length > free)
            {
                // Top the buffer up, write it out and continue with what is left of the caller's data.
                buffer.Slice(0, free).CopyTo(target.AsSpan(_pending, free));
                _pending = _capacity;
                FlushPending();
                buffer = buffer.Slice(free);

                if (buffer.Length >= _capacity)
                {
                    _inner.Write(buffer);
                    return;
                }
            }

            buffer.CopyTo(target.AsSpan(_pending));
            _pending += buffer.Length;

            if (_pending == _capacity)
            {
                FlushPending();
            }
        }

        public override void WriteByte(byte value)
        {
            byte[] target = EnsureNotDisposed();
            target[_pending++] = value;
            if (_pending == _capacity)
            {
                FlushPending();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(new ReadOnlyMemory<byte>(buffer, offset, count), cancellationToken).AsTask();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] target = EnsureNotDisposed();
            cancellationToken.ThrowIfCancellationRequested();

            while (!buffer.IsEmpty)
            {
                if (_pending == 0 && buffer.Length >= _capacity)
                {
                    await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                    return;
                }

                int chunk = Math.Min(buffer.Length, _capacity - _pending);
                buffer.Span.Slice(0, chunk).CopyTo(target.AsSpan(_pending, chunk));
                _pending += chunk;
                buffer = buffer.Slice(chunk);

                if (_pending == _capacity)
                {
                    await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public override void Flush()
        {
            EnsureNotDisposed();
            FlushPending();
            _inner.Flush();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            EnsureNotDisposed();
            await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            try
            {
                if (disposing && _buffer is not null)
                {
                    FlushPending();
                    _inner.Flush();
                }
            }
            finally
            {
                if (disposing)
                {
                    ReleaseBuffer();
                    if (!_leaveOpen)
                    {
                        _inner.Dispose();
                    }
                }

                base.Dispose(disposing);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            try
            {
                if (_buffer is not null)
                {
                    await FlushPendingAsync(CancellationToken.None).ConfigureAwait(false);
                    await _inner.FlushAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                ReleaseBuffer();
                if (!_leaveOpen)
                {
                    await _inner.DisposeAsync().ConfigureAwait(false);
                }

                GC.SuppressFinalize(this);
            }
        }

        private void FlushPending()
        {
            if (_pending == 0)
            {
                return;
            }

            // Only the bytes written by the caller are valid: the pooled array may be longer and may hold
            // another renter's leftovers past _pending.
            _inner.Write(_buffer!, 0, _pending);
            _pending = 0;
        }

        private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
        {
            if (_pending == 0)
            {
                return;
            }

            await _inner.WriteAsync(_buffer.AsMemory(0, _pending), cancellationToken).ConfigureAwait(false);
            _pending = 0;
        }

        private void ReleaseBuffer()
        {
            byte[]? buffer = _buffer;
            _buffer = null;
            _pending = 0;
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private byte[] EnsureNotDisposed()
        {
            byte[]? buffer = _buffer;
            ObjectDisposedException.ThrowIf(buffer is null, this);
            return buffer;
        }
    }
}
