using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Net.IO
{
    /// <summary>
    /// Frames whole messages on top of a byte stream: each message is preceded by its length as a
    /// 32-bit big-endian integer.
    /// </summary>
    /// <remarks>
    /// One reader and one writer may use an instance at the same time (they touch disjoint state);
    /// concurrent writers are serialized by an internal semaphore so that frames never interleave.
    /// Once a malformed frame has been read the reading side is faulted, because the position of the
    /// next frame boundary is no longer known.
    /// </remarks>
    public sealed class LengthPrefixedMessageStream : IAsyncDisposable, IDisposable
    {
        /// <summary>Size of the length prefix in bytes.</summary>
        public const int HeaderSize = sizeof(int);

        /// <summary>Messages up to this size are sent together with their header in one write.</summary>
        private const int CoalesceLimit = 8 * 1024;

        private readonly Stream _stream;
        private readonly bool _leaveOpen;
        private readonly int _maxMessageSize;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly byte[] _readHeader = new byte[HeaderSize];
        private bool _readFaulted;
        private bool _disposed;

        public LengthPrefixedMessageStream(Stream stream, int maxMessageSize = 1024 * 1024, bool leaveOpen = false)
        {
            ArgumentNullException.ThrowIfNull(stream);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessageSize, Array.MaxLength - HeaderSize);

            _stream = stream;
            _maxMessageSize = maxMessageSize;
            _leaveOpen = leaveOpen;
        }

        public int MaxMessageSize => _maxMessageSize;

        /// <summary>Writes one message and its length prefix.</summary>
        public async ValueTask WriteMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (payload.Length > _maxMessageSize)
            {
                throw new ArgumentOutOfRangeException(nameof(payload), payload.Length,
                    $"The message is larger than the configured maximum of {_maxMessageSize} bytes.");
            }

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (payload.Length <= CoalesceLimit)
                {
                    int frameLength = HeaderSize + payload.Length;
                    byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
                    try
                    {
                        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
                        payload.Span.CopyTo(frame.AsSpan(HeaderSize));
                        await _stream.WriteAsync(frame.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                    }
                }
                else
                {
                    // Large payloads are not copied: the four header bytes go first, then the payload itself.
                    byte[] header = new byte[HeaderSize];
                    BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
                    await _stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                    await _stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                }

                await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        /// <summary>Synchronous counterpart of <see cref="WriteMessageAsync"/>.</summary>
        public void WriteMessage(ReadOnlySpan<byte> payload)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (payload.Length > _maxMessageSize)
            {
                throw new ArgumentOutOfRangeException(nameof(payload), payload.Length,
                    $"The message is larger than the configured maximum of {_maxMessageSize} bytes.");
            }

            Span<byte> header = stackalloc byte[HeaderSize];
            BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);

            _writeLock.Wait();
            try
            {
                _stream.Write(header);
                _stream.Write(payload);
                _stream.Flush();
            }
            finally
            {
                _writeLock.Release();
            }
        }

        /// <summary>
        /// Reads the next message. Returns <see langword="null"/> when the stream ends cleanly at a frame boundary.
        /// </summary>
        public async ValueTask<byte[]?> ReadMessageAsync(CancellationToken cancellationToken = default)
        {
            int length = await ReadLengthAsync(cancellationToken).ConfigureAwait(false);
            if (length < 0)
            {
                return null;
            }

            byte[] message = new byte[length];
            try
            {
                await _stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _readFaulted = true;
                throw;
            }

            return message;
        }

        /// <summary>
        /// Reads the next message into <paramref name="destination"/> and returns its length, or -1 at the end
        /// of the stream. The destination must be able to hold <see cref="MaxMessageSize"/> bytes, so that a
        /// legal frame can never be rejected after its header has been consumed.
        /// </summary>
        public async ValueTask<int> ReadMessageAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (destination.Length < _maxMessageSize)
            {
                throw new ArgumentException(
                    $"The destination must hold at least {_maxMessageSize} bytes.", nameof(destination));
            }

            int length = await ReadLengthAsync(cancellationToken).ConfigureAwait(false);
            if (length < 0)
            {
                return -1;
            }

            try
            {
                await _stream.ReadExactlyAsync(destination.Slice(0, length), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _readFaulted = true;
                throw;
            }

            return length;
        }

        /// <summary>Returns the payload length, or -1 at a clean end of stream.</summary>
        private async ValueTask<int> ReadLengthAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_readFaulted)
            {
                throw new InvalidOperationException("A previous read failed; the frame boundary is unknown.");
            }

            int filled = 0;
            while (filled < HeaderSize)
            {
                int read = await _stream.ReadAsync(_readHeader.AsMemory(filled, HeaderSize - filled), cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    if (filled == 0)
                    {
                        return -1;
                    }

                    _readFaulted = true;
                    throw new EndOfStreamException(
                        $"The stream ended after {filled} of the {HeaderSize} bytes of a frame header.");
                }

                filled += read;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(_readHeader);
            if (length < 0 || length > _maxMessageSize)
            {
                _readFaulted = true;
                throw new InvalidDataException(
                    $"Frame length {length} is outside the accepted range 0..{_maxMessageSize}.");
            }

            return length;
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writeLock.Dispose();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writeLock.Dispose();
            if (!_leaveOpen)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
