using System;
using System.IO;
using System.Threading;

namespace Quiet.Legacy
{
    internal static class StreamArgs
    {
        public static void Validate(byte[] buffer, int offset, int count)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0) throw new ArgumentOutOfRangeException("offset", "Non-negative number required.");
            if (count < 0) throw new ArgumentOutOfRangeException("count", "Non-negative number required.");
            if (buffer.Length - offset < count)
                throw new ArgumentException("Offset and length were out of bounds for the array.");
        }
    }

    /// <summary>
    /// Write-only stream that frames data as length-prefixed chunks: { length(4, big-endian) data }*, and a
    /// zero length at the end. Data is collected into a chunk buffer and written when the chunk is full, on
    /// Flush (the partial chunk) and on Dispose (partial chunk plus terminator).
    /// </summary>
    public sealed class ChunkedWriteStream : Stream
    {
        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly byte[] _chunk;
        private int _fill;
        private bool _disposed;

        public const int PrefixSize = 4;

        public ChunkedWriteStream(Stream inner, int chunkSize, bool leaveOpen)
        {
            if (inner == null) throw new ArgumentNullException("inner");
            if (!inner.CanWrite) throw new ArgumentException("The inner stream must be writable.", "inner");
            if (chunkSize <= 0 || chunkSize > 16 * 1024 * 1024) throw new ArgumentOutOfRangeException("chunkSize");
            _inner = inner;
            _leaveOpen = leaveOpen;
            // The prefix lives in front of the data so each chunk goes out in a single Write.
            _chunk = new byte[PrefixSize + chunkSize];
        }

        private int ChunkCapacity
        {
            get { return _chunk.Length - PrefixSize; }
        }

        public override bool CanRead { get { return false; } }
        public override bool CanSeek { get { return false; } }
        public override bool CanWrite { get { return !_disposed; } }
        public override long Length { get { throw new NotSupportedException(); } }

        public override long Position
        {
            get { throw new NotSupportedException(); }
            set { throw new NotSupportedException(); }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            StreamArgs.Validate(buffer, offset, count);
            if (_disposed) throw new ObjectDisposedException("ChunkedWriteStream");

            while (count > 0)
            {
                int take = Math.Min(count, ChunkCapacity - _fill);
                Buffer.BlockCopy(buffer, offset, _chunk, PrefixSize + _fill, take);
                _fill += take;
                offset += take;
                count -= take;

                if (_fill == ChunkCapacity)
                    WriteChunk();
            }
        }

        public override void WriteByte(byte value)
        {
            if (_disposed) throw new ObjectDisposedException("ChunkedWriteStream");
            _chunk[PrefixSize + _fill] = value;
            _fill++;
            if (_fill == ChunkCapacity)
                WriteChunk();
        }

        private void WriteChunk()
        {
            if (_fill == 0)
                return;
            Wire.WriteInt32(_chunk, 0, _fill);
            _inner.Write(_chunk, 0, PrefixSize + _fill);
            _fill = 0;
        }

        public override void Flush()
        {
            if (_disposed) throw new ObjectDisposedException("ChunkedWriteStream");
            WriteChunk();
            _inner.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            try
            {
                if (disposing && !_disposed)
                {
                    WriteChunk();
                    var terminator = new byte[PrefixSize]; // length 0
                    _inner.Write(terminator, 0, terminator.Length);
                    _inner.Flush();
                    if (!_leaveOpen)
                        _inner.Dispose();
                }
            }
            finally
            {
                _disposed = true;
                base.Dispose(disposing);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
        public override void SetLength(long value) { throw new NotSupportedException(); }
    }

    /// <summary>Read side of <see cref="ChunkedWriteStream"/>: returns the data, hides the prefixes.</summary>
    public sealed class ChunkedReadStream : Stream
    {
        private readonly Stream _inner;
        private readonly int _maxChunk;
        private readonly byte[] _prefix = new byte[ChunkedWriteStream.PrefixSize];
        private int _remainingInChunk;
        private bool _finished;

        public ChunkedReadStream(Stream inner, int maxChunk)
        {
            if (inner == null) throw new ArgumentNullException("inner");
            if (maxChunk <= 0) throw new ArgumentOutOfRangeException("maxChunk");
            _inner = inner;
            _maxChunk = maxChunk;
        }

        public override bool CanRead { get { return true; } }
        public override bool CanSeek { get { return false; } }
        public override bool CanWrite { get { return false; } }
        public override long Length { get { throw new NotSupportedException(); } }

        public override long Position
        {
            get { throw new NotSupportedException(); }
            set { throw new NotSupportedException(); }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            StreamArgs.Validate(buffer, offset, count);
            if (count == 0 || _finished)
                return 0;

            if (_remainingInChunk == 0)
            {
                SocketHelpers.ReadFully(_inner, _prefix, 0, _prefix.Length);
                int length = Wire.ReadInt32(_prefix, 0);
                if (length < 0 || length > _maxChunk)
                    throw new InvalidDataException("Chunk length " + length + " is out of range.");
                if (length == 0)
                {
                    _finished = true;
                    return 0;
                }
                _remainingInChunk = length;
            }

            int read = _inner.Read(buffer, offset, Math.Min(count, _remainingInChunk));
            if (read <= 0)
                throw new EndOfStreamException("The stream ended inside a chunk.");
            _remainingInChunk -= read;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
        public override void SetLength(long value) { throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
    }

    /// <summary>Read-only window of <paramref name="length"/> bytes over an inner stream.</summary>
    public sealed class LimitedReadStream : Stream
    {
        private readonly Stream _inner;
        private long _remaining;

        public LimitedReadStream(Stream inner, long length)
        {
            if (inner == null) throw new ArgumentNullException("inner");
            if (length < 0) throw new ArgumentOutOfRangeException("length");
            _inner = inner;
            _remaining = length;
        }

        public long Remaining
        {
            get { return _remaining; }
        }

        public override bool CanRead { get { return true; } }
        public override bool CanSeek { get { return false; } }
        public override bool CanWrite { get { return false; } }
        public override long Length { get { throw new NotSupportedException(); } }

        public override long Position
        {
            get { throw new NotSupportedException(); }
            set { throw new NotSupportedException(); }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            StreamArgs.Validate(buffer, offset, count);
            if (_remaining == 0 || count == 0)
                return 0;

            int toRead = (int)Math.Min(count, _remaining);
            int read = _inner.Read(buffer, offset, toRead);
            if (read > 0)
                _remaining -= read;
            return read;
        }

        /// <summary>Reads and discards whatever is left of the window.</summary>
        public void Drain()
        {
            byte[] scratch = new byte[4096];
            while (_remaining > 0)
            {
                int read = Read(scratch, 0, scratch.Length);
                if (read == 0)
                    throw new EndOfStreamException();
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
        public override void SetLength(long value) { throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) { throw new NotSupportedException(); }
    }

    /// <summary>Fixed-capacity byte ring. Not synchronized; <see cref="PipeStream"/> adds locking.</summary>
    public sealed class CircularBuffer
    {
        private readonly byte[] _data;
        private int _head;   // next byte to read
        private int _count;  // bytes stored

        public CircularBuffer(int capacity)
        {
            if (capacity <= 0) throw new ArgumentOutOfRangeException("capacity");
            _data = new byte[capacity];
        }

        public int Capacity
        {
            get { return _data.Length; }
        }

        public int Count
        {
            get { return _count; }
        }

        public int Free
        {
            get { return _data.Length - _count; }
        }

        /// <summary>Stores as many bytes as fit and returns that number.</summary>
        public int Write(byte[] source, int offset, int count)
        {
            StreamArgs.Validate(source, offset, count);
            int toWrite = Math.Min(count, Free);
            int tail = (_head + _count) % _data.Length;

            int first = Math.Min(toWrite, _data.Length - tail);
            Buffer.BlockCopy(source, offset, _data, tail, first);
            int second = toWrite - first;
            if (second > 0)
                Buffer.BlockCopy(source, offset + first, _data, 0, second);

            _count += toWrite;
            return toWrite;
        }

        /// <summary>Removes up to <paramref name="count"/> bytes into the destination and returns how many.</summary>
        public int Read(byte[] destination, int offset, int count)
        {
            StreamArgs.Validate(destination, offset, count);
            int toRead = Math.Min(count, _count);

            int first = Math.Min(toRead, _data.Length - _head);
            Buffer.BlockCopy(_data, _head, destination, offset, first);
            int second = toRead - first;
            if (second > 0)
                Buffer.BlockCopy(_data, 0, destination, offset + first, second);

            _head = (_head + toRead) % _data.Length;
            _count -= toRead;
            if (_count == 0)
                _head = 0;
            return toRead;
        }
    }

    /// <summary>
    /// In-process pipe between one producer and one consumer thread, bounded by a ring buffer. Write blocks
    /// while the ring is full; Read blocks while it is empty and returns 0 once the writer completed.
    /// </summary>
    public sealed class PipeStream : Stream
    {
        private readonly CircularBuffer _ring;
        private readonly object _sync = new object();
        private bool _writerCompleted;
        private bool _readerClosed;

        public PipeStream(int capacity)
        {
            _ring = new CircularBuffer(capacity);
        }

        public override bool CanRead { get { return true; } }
        public override bool CanSeek { get { return false; } }
        public override bool CanWrite { get { return true; } }
        public override long Length { get { throw new NotSupportedException(); } }

        public override long Position
        {
            get { throw new NotSupportedException(); }
            set { throw new NotSupportedException(); }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            StreamArgs.Validate(buffer, offset, count);
            lock (_sync)
            {
                if (_readerClosed) throw new IOException("The reading end of the pipe is closed.");
                if (_writerCompleted) throw new InvalidOperationException("The writer already completed.");
                while (count > 0)
                {
                    if (_readerClosed) throw new IOException("The reading end of the pipe is closed.");
                    if (_ring.Free == 0)
                    {
                        Monitor.Wait(_sync);
                        continue;
                    }
                    int written = _ring.Write(buffer, offset, count);
                    offset += written;
                    count -= written;
                    Monitor.PulseAll(_sync);
                }
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            StreamArgs.Validate(buffer, offset, count);
            if (count == 0)
                return 0;

            lock (_sync)
            {
                while (_ring.Count == 0)
                {
                    if (_writerCompleted || _readerClosed)
                        return 0;
                    Monitor.Wait(_sync);
                }
                int read = _ring.Read(buffer, offset, count);
                Monitor.PulseAll(_sync);
                return read;
            }
        }

        /// <summary>Signals end of data; readers drain what is left and then see 0.</summary>
        public void CompleteWriting()
        {
            lock (_sync)
            {
                _writerCompleted = true;
                Monitor.PulseAll(_sync);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                lock (_sync)
                {
                    _readerClosed = true;
                    _writerCompleted = true;
                    Monitor.PulseAll(_sync);
                }
            }
            base.Dispose(disposing);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) { throw new NotSupportedException(); }
        public override void SetLength(long value) { throw new NotSupportedException(); }
    }
}
