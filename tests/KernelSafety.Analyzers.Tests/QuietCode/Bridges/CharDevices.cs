using System;
using System.ComponentModel;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Quiet.Bridges.Interop;

namespace Quiet.Bridges
{
    /// <summary>Something that delivers bytes in order, all of them or an exception. Implementations are thread-safe.</summary>
    public interface IByteSink
    {
        void Send(ReadOnlySpan<byte> data);
    }

    /// <summary>
    /// A managed model of the character device, written the way device_write() should have been:
    /// each write takes at most <see cref="MessageSize"/> bytes into a buffer owned by this device
    /// instance, forwards exactly the bytes it took, and returns their number, or a negative errno.
    /// </summary>
    /// <remarks>
    /// Like write(2), a short count is not an error: the caller writes the rest in another call
    /// (see <see cref="CharDeviceExtensions.WriteAll"/>). Concurrent writers are serialized.
    /// </remarks>
    public sealed class ForwardingCharDevice
    {
        public const int MessageSize = 80;

        private readonly object _gate = new object();
        private readonly byte[] _msg = new byte[MessageSize]; // guarded by _gate
        private readonly IByteSink _sink;

        public ForwardingCharDevice(IByteSink sink)
        {
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        /// <summary>Receives a copy of each forwarded message as text (debug logging); may be null.</summary>
        public Action<string>? Trace { get; set; }

        /// <returns>Bytes consumed (0..80), or -EFAULT / -EIO / -EPIPE ... when nothing was forwarded.</returns>
        public int Write(byte[]? buffer, int offset, int count)
        {
            if (buffer is null || offset < 0 || count < 0 || offset > buffer.Length - count)
            {
                return -LibC.EFAULT;
            }

            int length = Math.Min(count, MessageSize);
            if (length == 0)
            {
                return 0;
            }

            lock (_gate)
            {
                Array.Copy(buffer, offset, _msg, 0, length);
                try
                {
                    _sink.Send(new ReadOnlySpan<byte>(_msg, 0, length));
                    Trace?.Invoke(Encoding.ASCII.GetString(_msg, 0, length));
                }
                catch (Exception e) when (ToErrno(e) is int errno)
                {
                    return -errno;
                }
                finally
                {
                    Array.Clear(_msg, 0, length);
                }
            }

            return length;
        }

        /// <summary>Maps transport failures to the errno a device driver would return.</summary>
        internal static int? ToErrno(Exception e) => e switch
        {
            // SocketException derives from Win32Exception, so it has to be matched first.
            SocketException socket => socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => LibC.ECONNREFUSED,
                SocketError.ConnectionReset => LibC.ECONNRESET,
                SocketError.Shutdown => LibC.EPIPE,
                SocketError.NotConnected => LibC.ENOTCONN,
                SocketError.TimedOut => LibC.ETIMEDOUT,
                _ => LibC.EIO,
            },
            Win32Exception native => native.NativeErrorCode,
            IOException => LibC.EIO,
            TimeoutException => LibC.ETIMEDOUT,
            _ => null,
        };
    }

    public static class CharDeviceExtensions
    {
        /// <summary>
        /// Writes all of <paramref name="data"/>, as careful user space does: write() may take fewer
        /// bytes than asked, and a negative result is an error code, not a count.
        /// </summary>
        public static void WriteAll(this ForwardingCharDevice device, byte[] data)
        {
            ArgumentNullException.ThrowIfNull(device);
            ArgumentNullException.ThrowIfNull(data);

            int offset = 0;
            while (offset < data.Length)
            {
                int result = device.Write(data, offset, data.Length - offset);
                if (result < 0)
                {
                    throw new IOException($"write failed after {offset} of {data.Length} bytes: errno {-result}.", -result);
                }

                if (result == 0)
                {
                    throw new IOException($"The device accepted no bytes after {offset} of {data.Length}.");
                }

                offset += result;
            }
        }
    }

    /// <summary>
    /// Device variant with one staging buffer per thread: writers on different threads never share it,
    /// so no lock is needed around the copy. The sink serializes the sends.
    /// </summary>
    public sealed class ThreadStaticStagingDevice
    {
        public const int MessageSize = 80;

        [ThreadStatic]
        private static byte[]? t_message;

        private readonly IByteSink _sink;

        public ThreadStaticStagingDevice(IByteSink sink)
        {
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        public int Write(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            // No await in this method, so the thread (and its buffer) stays the same until it returns.
            byte[] message = t_message ??= new byte[MessageSize];
            int length = count < MessageSize ? count : MessageSize;
            buffer.AsSpan(offset, length).CopyTo(message);
            _sink.Send(message.AsSpan(0, length));
            return length;
        }
    }

    /// <summary>
    /// Device variant that keeps the original driver's single static buffer, made safe: every access
    /// to it, from copy-in to the end of the send, happens under one static lock.
    /// </summary>
    public sealed class SharedBufferDevice
    {
        public const int MessageSize = 80;

        private static readonly object s_gate = new object();
        private static readonly byte[] s_message = new byte[MessageSize]; // guarded by s_gate

        private readonly IByteSink _sink;

        public SharedBufferDevice(IByteSink sink)
        {
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        public int Write(byte[] buffer, int offset, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            if (offset < 0 || count < 0 || offset > buffer.Length - count)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int length = Math.Min(count, MessageSize);
            lock (s_gate)
            {
                Buffer.BlockCopy(buffer, offset, s_message, 0, length);
                _sink.Send(new ReadOnlySpan<byte>(s_message, 0, length));
            }

            return length;
        }
    }

    /// <summary>Device variant with a <see cref="ThreadLocal{T}"/> scratch buffer and a hex trace.</summary>
    public sealed class ThreadLocalStagingDevice : IDisposable
    {
        public const int MessageSize = 80;

        private static readonly byte[] s_hexDigits = "0123456789abcdef"u8.ToArray(); // read-only table

        private readonly ThreadLocal<byte[]> _scratch = new ThreadLocal<byte[]>(() => new byte[MessageSize]);
        private readonly IByteSink _sink;

        public ThreadLocalStagingDevice(IByteSink sink)
        {
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        public Action<string>? Trace { get; set; }

        public int Write(ReadOnlySpan<byte> data)
        {
            byte[] scratch = _scratch.Value!;
            int length = Math.Min(data.Length, scratch.Length);
            data.Slice(0, length).CopyTo(scratch);
            _sink.Send(scratch.AsSpan(0, length));
            Trace?.Invoke(Hex(scratch.AsSpan(0, length)));
            return length;
        }

        public void Dispose() => _scratch.Dispose();

        private static string Hex(ReadOnlySpan<byte> bytes)
        {
            var text = new StringBuilder(bytes.Length * 3);
            foreach (byte b in bytes)
            {
                if (text.Length != 0)
                {
                    text.Append(' ');
                }

                text.Append((char)s_hexDigits[b >> 4]).Append((char)s_hexDigits[b & 0xF]);
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Kernel-shaped variant: the message is staged on the stack of the writing thread, and the entry
    /// point mirrors <c>ssize_t device_write(struct file *, const char __user *, size_t, loff_t *)</c>.
    /// </summary>
    public sealed class StackStagingDevice
    {
        public const int MessageSize = 80;

        private readonly IByteSink _sink;

        public StackStagingDevice(IByteSink sink)
        {
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        /// <returns>Bytes consumed, or a negative errno; <paramref name="position"/> advances by the bytes consumed.</returns>
        public long DeviceWrite(ReadOnlySpan<byte> buff, ref long position)
        {
            Span<byte> msg = stackalloc byte[MessageSize];
            int length = Math.Min(buff.Length, MessageSize);
            buff.Slice(0, length).CopyTo(msg);

            try
            {
                _sink.Send(msg.Slice(0, length));
            }
            catch (Exception e) when (ForwardingCharDevice.ToErrno(e) is int errno)
            {
                return -errno;
            }

            position += length;
            return length;
        }
    }
}
