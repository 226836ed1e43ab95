using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.FixedSizeSendAnalyzer,
    KernelSafety.CodeFixes.Fixes.FixedSizeSendFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0004_FixedSizeSendTests
{
    private const string Usings = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Net;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;
        using System.Text;
        using System.Threading.Tasks;

        """;

    // ------------------------------------------------------------------------------------------
    // Flagged, with the fix.

    [Fact]
    public async Task Seed_static_buffer_copied_with_len_and_sent_with_80()
    {
        var source = Usings + """
            class Device
            {
                static byte[] msg = new byte[80];
                private readonly Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

                int DeviceWrite(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return {|KS0004:socket.Send(msg, 0, 80, SocketFlags.None)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Device
            {
                static byte[] msg = new byte[80];
                private readonly Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

                int DeviceWrite(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.Send(msg, 0, len, SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, FixedSizeSendFix.EquivalenceKey);
    }

    [Fact]
    public async Task Seed_native_send_after_Marshal_Copy_casts_the_length_to_nuint()
    {
        var source = Usings + """
            static class Device
            {
                static byte[] msg = new byte[80];

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                static nint DeviceWrite(int fd, IntPtr src, int len)
                {
                    Marshal.Copy(src, msg, 0, len);
                    return {|KS0004:send(fd, msg, 80, 0)|};
                }
            }
            """;
        var fixedSource = Usings + """
            static class Device
            {
                static byte[] msg = new byte[80];

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                static nint DeviceWrite(int fd, IntPtr src, int len)
                {
                    Marshal.Copy(src, msg, 0, len);
                    return send(fd, msg, (nuint)len, 0);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Native_write_with_int_count_takes_the_length_without_cast()
    {
        var source = Usings + """
            static class Pipe
            {
                private static readonly byte[] frame = new byte[512];

                [DllImport("libc", EntryPoint = "write")]
                private static extern int SysWrite(int fd, byte[] buf, int count);

                static int Forward(int fd, byte[] payload)
                {
                    Array.Copy(payload, frame, payload.Length);
                    return {|KS0004:SysWrite(fd, frame, 512)|};
                }
            }
            """;
        var fixedSource = Usings + """
            static class Pipe
            {
                private static readonly byte[] frame = new byte[512];

                [DllImport("libc", EntryPoint = "write")]
                private static extern int SysWrite(int fd, byte[] buf, int count);

                static int Forward(int fd, byte[] payload)
                {
                    Array.Copy(payload, frame, payload.Length);
                    return SysWrite(fd, frame, payload.Length);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Read_then_write_of_the_whole_buffer_length()
    {
        var source = Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int read = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:output.Write(buffer, 0, buffer.Length)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int read = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, read);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Copy_loop_writes_the_whole_buffer_every_round()
    {
        var source = Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                        {|KS0004:output.Write(buffer, 0, buffer.Length)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                        output.Write(buffer, 0, n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Receive_then_whole_buffer_Socket_Send_expands_to_offset_and_count()
    {
        var source = Usings + """
            class Echo
            {
                void Serve(Socket client)
                {
                    var buffer = new byte[1024];
                    int received = client.Receive(buffer);
                    {|KS0004:client.Send(buffer)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Echo
            {
                void Serve(Socket client)
                {
                    var buffer = new byte[1024];
                    int received = client.Receive(buffer);
                    client.Send(buffer, 0, received, SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task SendTo_whole_buffer_after_Array_Copy_keeps_the_flags_and_endpoint_order()
    {
        var source = Usings + """
            class Beacon
            {
                private readonly byte[] frame = new byte[256];

                void Announce(Socket socket, byte[] data, EndPoint target)
                {
                    Array.Copy(data, frame, data.Length);
                    {|KS0004:socket.SendTo(frame, SocketFlags.None, target)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Beacon
            {
                private readonly byte[] frame = new byte[256];

                void Announce(Socket socket, byte[] data, EndPoint target)
                {
                    Array.Copy(data, frame, data.Length);
                    socket.SendTo(frame, 0, data.Length, SocketFlags.None, target);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Array_allocated_outside_the_loop_keeps_the_previous_message()
    {
        var source = Usings + """
            class Broadcaster
            {
                void Broadcast(Socket socket, byte[][] messages)
                {
                    var frame = new byte[128];
                    foreach (var message in messages)
                    {
                        Buffer.BlockCopy(message, 0, frame, 0, message.Length);
                        {|KS0004:socket.Send(frame)|};
                    }
                }
            }
            """;
        var fixedSource = Usings + """
            class Broadcaster
            {
                void Broadcast(Socket socket, byte[][] messages)
                {
                    var frame = new byte[128];
                    foreach (var message in messages)
                    {
                        Buffer.BlockCopy(message, 0, frame, 0, message.Length);
                        socket.Send(frame, 0, message.Length, SocketFlags.None);
                    }
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Message_read_once_and_sent_whole_on_every_round()
    {
        // The read happens once, before the loop: every round sends the whole frame while only n bytes are valid.
        var source = Usings + """
            class Repeater
            {
                void Repeat(Socket socket, Stream input, int rounds)
                {
                    var frame = new byte[128];
                    var n = input.Read(frame, 0, frame.Length);
                    for (var i = 0; i < rounds; i++)
                    {
                        {|KS0004:socket.Send(frame)|};
                    }
                }
            }
            """;
        var fixedSource = source.Replace("{|KS0004:socket.Send(frame)|}", "socket.Send(frame, 0, n, SocketFlags.None)", StringComparison.Ordinal);
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Zero_padding_of_a_fresh_record_must_be_explicit()
    {
        var source = Usings + """
            class Catalog
            {
                const int RecordSize = 64;

                void WriteEntry(Stream output, string name)
                {
                    var record = new byte[RecordSize];
                    int n = Encoding.ASCII.GetBytes(name, 0, Math.Min(name.Length, RecordSize), record, 0);
                    {|KS0004:output.Write(record, 0, RecordSize)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Catalog
            {
                const int RecordSize = 64;

                void WriteEntry(Stream output, string name)
                {
                    var record = new byte[RecordSize];
                    int n = Encoding.ASCII.GetBytes(name, 0, Math.Min(name.Length, RecordSize), record, 0);
                    output.Write(record, 0, n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Clamped_copy_into_a_local_record_still_sends_80()
    {
        var source = Usings + """
            static class ManagedDevice
            {
                public static int DeviceWrite(Socket socket, byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    {|KS0004:socket.Send(msg, 0, 80, SocketFlags.None)|};
                    return len;
                }
            }
            """;
        var fixedSource = Usings + """
            static class ManagedDevice
            {
                public static int DeviceWrite(Socket socket, byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    socket.Send(msg, 0, Math.Min(len, msg.Length), SocketFlags.None);
                    return len;
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Native_memcpy_then_send_80_as_in_the_sample()
    {
        var source = Usings + """
            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;
                private static readonly byte[] msg = new byte[80];

                public static int DeviceWrite(int fd, byte[] buff, int len)
                {
                    memcpy(msg, buff, (nuint)len);
                    nint sent = {|KS0004:send(fd, msg, 80, MSG_NOSIGNAL)|};
                    return (int)sent;
                }

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                [DllImport("libc")]
                private static extern IntPtr memcpy(byte[] dest, byte[] src, nuint count);
            }
            """;
        var fixedSource = Usings + """
            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;
                private static readonly byte[] msg = new byte[80];

                public static int DeviceWrite(int fd, byte[] buff, int len)
                {
                    memcpy(msg, buff, (nuint)len);
                    nint sent = send(fd, msg, (nuint)len, MSG_NOSIGNAL);
                    return (int)sent;
                }

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                [DllImport("libc")]
                private static extern IntPtr memcpy(byte[] dest, byte[] src, nuint count);
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Clamped_native_memmove_then_whole_buffer_write_casts_the_expression()
    {
        var source = Usings + """
            static class Pipe
            {
                private static readonly byte[] frame = new byte[256];

                static void Forward(int fd, byte[] data, int count)
                {
                    memmove(frame, data, (nuint)Math.Min(count, frame.Length));
                    {|KS0004:write(fd, frame, (nuint)frame.Length)|};
                }

                [DllImport("libc")]
                private static extern nint write(int fd, byte[] buf, nuint count);

                [DllImport("libc")]
                private static extern IntPtr memmove(byte[] dest, byte[] src, nuint count);
            }
            """;
        var fixedSource = Usings + """
            static class Pipe
            {
                private static readonly byte[] frame = new byte[256];

                static void Forward(int fd, byte[] data, int count)
                {
                    memmove(frame, data, (nuint)Math.Min(count, frame.Length));
                    write(fd, frame, (nuint)Math.Min(count, frame.Length));
                }

                [DllImport("libc")]
                private static extern nint write(int fd, byte[] buf, nuint count);

                [DllImport("libc")]
                private static extern IntPtr memmove(byte[] dest, byte[] src, nuint count);
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Logging_the_buffer_between_the_read_and_the_send_does_not_hide_it()
    {
        var source = Usings + """
            class Relay
            {
                void Forward(Socket from, Socket to, System.Security.Cryptography.IncrementalHash hash)
                {
                    var buffer = new byte[1024];
                    int n = from.Receive(buffer);
                    Console.WriteLine(BitConverter.ToString(buffer, 0, n));
                    Console.WriteLine(Convert.ToBase64String(buffer, 0, n));
                    hash.AppendData(buffer.AsSpan(0, n));
                    {|KS0004:to.Send(buffer, 0, buffer.Length, SocketFlags.None)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                void Forward(Socket from, Socket to, System.Security.Cryptography.IncrementalHash hash)
                {
                    var buffer = new byte[1024];
                    int n = from.Receive(buffer);
                    Console.WriteLine(BitConverter.ToString(buffer, 0, n));
                    Console.WriteLine(Convert.ToBase64String(buffer, 0, n));
                    hash.AppendData(buffer.AsSpan(0, n));
                    to.Send(buffer, 0, n, SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Async_read_then_WriteAsync_of_the_array_uses_AsMemory()
    {
        var source = Usings + """
            class Relay
            {
                async Task PumpAsync(Stream input, Stream output)
                {
                    var buffer = new byte[8192];
                    int n = await input.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false);
                    await {|KS0004:output.WriteAsync(buffer)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                async Task PumpAsync(Stream input, Stream output)
                {
                    var buffer = new byte[8192];
                    int n = await input.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false);
                    await output.WriteAsync(buffer.AsMemory(0, n));
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Span_copied_in_then_Stream_Write_of_the_array_uses_AsSpan()
    {
        var source = Usings + """
            class Framer
            {
                private readonly byte[] scratch = new byte[1500];

                void Send(Stream output, ReadOnlySpan<byte> payload)
                {
                    payload.CopyTo(scratch);
                    {|KS0004:output.Write(scratch)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Framer
            {
                private readonly byte[] scratch = new byte[1500];

                void Send(Stream output, ReadOnlySpan<byte> payload)
                {
                    payload.CopyTo(scratch);
                    output.Write(scratch.AsSpan(0, payload.Length));
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task TryCopyTo_and_ReadAtLeast_fills_then_whole_buffer_writes_are_narrowed()
    {
        var source = Usings + """
            class Framer
            {
                private readonly byte[] scratch = new byte[1500];

                void Send(Stream output, ReadOnlySpan<byte> payload)
                {
                    if (payload.TryCopyTo(scratch))
                    {
                        {|KS0004:output.Write(scratch)|};
                    }
                }

                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int read = input.ReadAtLeast(buffer, 4);
                    {|KS0004:output.Write(buffer, 0, buffer.Length)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Framer
            {
                private readonly byte[] scratch = new byte[1500];

                void Send(Stream output, ReadOnlySpan<byte> payload)
                {
                    if (payload.TryCopyTo(scratch))
                    {
                        output.Write(scratch.AsSpan(0, payload.Length));
                    }
                }

                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int read = input.ReadAtLeast(buffer, 4);
                    output.Write(buffer, 0, read);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task GetBytes_count_ignored_by_a_constant_write()
    {
        var source = Usings + """
            class Logger
            {
                private readonly byte[] line = new byte[256];

                void Log(Stream sink, string text)
                {
                    int length = Encoding.ASCII.GetBytes(text, 0, text.Length, line, 0);
                    {|KS0004:sink.Write(line, 0, 256)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Logger
            {
                private readonly byte[] line = new byte[256];

                void Log(Stream sink, string text)
                {
                    int length = Encoding.ASCII.GetBytes(text, 0, text.Length, line, 0);
                    sink.Write(line, 0, length);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Decoding_the_whole_buffer_for_a_log_after_a_read()
    {
        var source = Usings + """
            class Device
            {
                string ReadLine(Stream port)
                {
                    var buffer = new byte[80];
                    int n = port.Read(buffer, 0, buffer.Length);
                    return {|KS0004:Encoding.ASCII.GetString(buffer)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Device
            {
                string ReadLine(Stream port)
                {
                    var buffer = new byte[80];
                    int n = port.Read(buffer, 0, buffer.Length);
                    return Encoding.ASCII.GetString(buffer, 0, n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Read_and_write_inside_a_lambda_over_a_captured_buffer()
    {
        var source = Usings + """
            class Relay
            {
                Task Start(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    return Task.Run(async () =>
                    {
                        int n = await input.ReadAsync(buffer.AsMemory());
                        await {|KS0004:output.WriteAsync(buffer, 0, buffer.Length)|};
                    });
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                Task Start(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    return Task.Run(async () =>
                    {
                        int n = await input.ReadAsync(buffer.AsMemory());
                        await output.WriteAsync(buffer, 0, n);
                    });
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Rented_buffer_sent_whole_leaks_what_the_pool_had()
    {
        var source = Usings + """
            class Sender
            {
                void Send(Socket socket, Stream source, int size)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        source.ReadExactly(buffer, 0, size);
                        {|KS0004:socket.Send(buffer, 0, buffer.Length, SocketFlags.None)|};
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            """;
        var fixedSource = Usings + """
            class Sender
            {
                void Send(Socket socket, Stream source, int size)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        source.ReadExactly(buffer, 0, size);
                        socket.Send(buffer, 0, size, SocketFlags.None);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Rent_alone_is_the_valid_length()
    {
        var source = Usings + """
            class Sender
            {
                void Send(UdpClient udp, int size)
                {
                    byte[] datagram = ArrayPool<byte>.Shared.Rent(size);
                    {|KS0004:udp.Send(datagram, datagram.Length)|};
                    ArrayPool<byte>.Shared.Return(datagram);
                }
            }
            """;
        var fixedSource = Usings + """
            class Sender
            {
                void Send(UdpClient udp, int size)
                {
                    byte[] datagram = ArrayPool<byte>.Shared.Rent(size);
                    udp.Send(datagram, size);
                    ArrayPool<byte>.Shared.Return(datagram);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Constant_span_window_is_narrowed_to_the_valid_length()
    {
        var source = Usings + """
            class Relay
            {
                void Forward(Socket from, Stream to)
                {
                    var buffer = new byte[2048];
                    int n = from.Receive(buffer, SocketFlags.None);
                    {|KS0004:to.Write(buffer.AsSpan(0, 512))|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                void Forward(Socket from, Stream to)
                {
                    var buffer = new byte[2048];
                    int n = from.Receive(buffer, SocketFlags.None);
                    to.Write(buffer.AsSpan(0, n));
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task SendAsync_of_a_whole_memory_view()
    {
        var source = Usings + """
            class Relay
            {
                async Task ForwardAsync(Stream from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = await from.ReadAsync(buffer.AsMemory());
                    await {|KS0004:to.SendAsync(buffer.AsMemory(), SocketFlags.None)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                async Task ForwardAsync(Stream from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = await from.ReadAsync(buffer.AsMemory());
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task BeginSend_with_a_fixed_size()
    {
        var source = Usings + """
            class Device
            {
                static readonly byte[] msg = new byte[80];

                IAsyncResult Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return {|KS0004:socket.BeginSend(msg, 0, 80, SocketFlags.None, null, null)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Device
            {
                static readonly byte[] msg = new byte[80];

                IAsyncResult Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.BeginSend(msg, 0, len, SocketFlags.None, null, null);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    // The completion callback is an argument of the send itself: it runs once the bytes are out, so giving the
    // array back to the pool there does not change what was sent, unlike a lambda elsewhere in the method.
    [Fact]
    public async Task Rented_buffer_returned_to_the_pool_by_the_BeginSend_callback_is_still_sent_whole()
    {
        var source = Usings + """
            class Relay
            {
                void Forward(Socket socket, Stream input, int count)
                {
                    var chunk = ArrayPool<byte>.Shared.Rent(count);
                    input.ReadExactly(chunk, 0, count);
                    {|KS0004:socket.BeginSend(chunk, 0, chunk.Length, SocketFlags.None, ar =>
                    {
                        socket.EndSend(ar);
                        ArrayPool<byte>.Shared.Return(chunk);
                    }, null)|};
                }
            }
            """;
        var fixedSource = source
            .Replace("{|KS0004:", "").Replace("}, null)|};", "}, null);")
            .Replace("BeginSend(chunk, 0, chunk.Length,", "BeginSend(chunk, 0, count,");
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Native_recv_then_LibraryImport_send_of_the_whole_buffer()
    {
        var source = Usings + """
            static unsafe partial class Native
            {
                [DllImport("libc", EntryPoint = "recv")]
                private static extern nint Recv(int fd, byte[] buf, nuint len, int flags);

                [LibraryImport("libc", EntryPoint = "send")]
                private static partial nint Send(int fd, byte[] buf, nuint len, int flags);

                static void Relay(int from, int to)
                {
                    var buffer = new byte[512];
                    nint n = Recv(from, buffer, (nuint)buffer.Length, 0);
                    {|KS0004:Send(to, buffer, (nuint)buffer.Length, 0)|};
                }
            }
            """;
        var fixedSource = Usings + """
            static unsafe partial class Native
            {
                [DllImport("libc", EntryPoint = "recv")]
                private static extern nint Recv(int fd, byte[] buf, nuint len, int flags);

                [LibraryImport("libc", EntryPoint = "send")]
                private static partial nint Send(int fd, byte[] buf, nuint len, int flags);

                static void Relay(int from, int to)
                {
                    var buffer = new byte[512];
                    nint n = Recv(from, buffer, (nuint)buffer.Length, 0);
                    Send(to, buffer, (nuint)n, 0);
                }
            }
            """;
        var test = new VerifyCS.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task ArraySegment_over_the_whole_array_is_narrowed()
    {
        var source = Usings + """
            class Relay
            {
                async Task ForwardAsync(Socket from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = await from.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
                    await {|KS0004:to.SendAsync(new ArraySegment<byte>(buffer), SocketFlags.None)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                async Task ForwardAsync(Socket from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = await from.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
                    await to.SendAsync(new ArraySegment<byte>(buffer, 0, n), SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Array_implicitly_passed_as_ArraySegment_is_narrowed()
    {
        var source = Usings + """
            class Relay
            {
                async Task ForwardAsync(Stream from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = from.Read(buffer, 0, buffer.Length);
                    await {|KS0004:to.SendAsync(buffer, SocketFlags.None)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                async Task ForwardAsync(Stream from, Socket to)
                {
                    var buffer = new byte[2048];
                    int n = from.Read(buffer, 0, buffer.Length);
                    await to.SendAsync(new ArraySegment<byte>(buffer, 0, n), SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Message_names_the_api_the_size_used_and_the_valid_length()
    {
        var source = Usings + """
            class Relay
            {
                void Pump(Stream input, NetworkStream output)
                {
                    var buffer = new byte[4096];
                    int read = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, buffer.Length);
                    output.Write(buffer);
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(
            source,
            VerifyCS.Diagnostic("KS0004").WithSpan(15, 9, 15, 47).WithArguments("NetworkStream.Write", "buffer.Length", "read").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations),
            VerifyCS.Diagnostic("KS0004").WithSpan(16, 9, 16, 29).WithArguments("NetworkStream.Write", "buffer.Length", "read").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
    }

    [Fact]
    public async Task AsSpan_fix_imports_System_when_missing()
    {
        var source = """
            using System.IO;

            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[64];
                    int n = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:output.Write(buffer)|};
                    int m = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:output.Write(buffer)|};
                }
            }
            """;
        var fixedSource = """
            using System;
            using System.IO;

            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[64];
                    int n = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer.AsSpan(0, n));
                    int m = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer.AsSpan(0, m));
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Native_send_through_a_pinned_pointer()
    {
        var source = Usings + """
            static unsafe class Device
            {
                static byte[] msg = new byte[80];

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nuint len, int flags);

                static nint DeviceWrite(int fd, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    fixed (byte* p = msg)
                    {
                        return {|KS0004:send(fd, p, 80, 0)|};
                    }
                }
            }
            """;
        var fixedSource = Usings + """
            static unsafe class Device
            {
                static byte[] msg = new byte[80];

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nuint len, int flags);

                static nint DeviceWrite(int fd, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    fixed (byte* p = msg)
                    {
                        return send(fd, p, (nuint)len, 0);
                    }
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    // ------------------------------------------------------------------------------------------
    // Fix-all.

    [Fact]
    public async Task Fix_all_in_a_document_fixes_every_send()
    {
        var source = Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                void Write(Socket socket, Stream log, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    {|KS0004:socket.Send(msg, 0, 80, SocketFlags.None)|};
                    {|KS0004:log.Write(msg, 0, msg.Length)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                void Write(Socket socket, Stream log, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    socket.Send(msg, 0, len, SocketFlags.None);
                    log.Write(msg, 0, len);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_all_across_documents()
    {
        var first = Usings + """
            class A
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:output.Write(buffer, 0, 4096)|};
                }
            }
            """;
        var second = Usings + """
            class B
            {
                void Echo(Socket client)
                {
                    var buffer = new byte[1024];
                    int received = client.Receive(buffer);
                    {|KS0004:client.Send(buffer, SocketFlags.None)|};
                }
            }
            """;
        var firstFixed = Usings + """
            class A
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, n);
                }
            }
            """;
        var secondFixed = Usings + """
            class B
            {
                void Echo(Socket client)
                {
                    var buffer = new byte[1024];
                    int received = client.Receive(buffer);
                    client.Send(buffer, 0, received, SocketFlags.None);
                }
            }
            """;
        var test = new VerifyCS.Test();
        test.TestState.Sources.Add(first);
        test.TestState.Sources.Add(second);
        test.FixedState.Sources.Add(firstFixed);
        test.FixedState.Sources.Add(secondFixed);
        await test.RunAsync();
    }

    [Fact]
    public async Task Lower_bound_guard_that_does_not_cover_the_count_on_every_path_is_still_flagged()
    {
        var source = Usings + """
            #nullable enable
            class Headers
            {
                string? TooSmallByOne(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read < 7)
                        return null;
                    return {|#0:Encoding.ASCII.GetString(header, 0, 8)|};
                }

                string? AtMostTooSmallByOne(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read <= 7)
                        return null;
                    return {|#1:Encoding.ASCII.GetString(header, 0, 9)|};
                }

                string? OnSomePaths(Stream input, bool strict)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (strict)
                    {
                        if (read < 0x40)
                            return null;
                    }

                    return {|#2:Encoding.ASCII.GetString(header, 0, 8)|};
                }

                string NoExit(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read < 0x40)
                    {
                        Console.WriteLine("short header");
                    }

                    return {|#3:Encoding.ASCII.GetString(header, 0, 8)|};
                }

                string? OtherVariable(FileStream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (input.Length < 0x40)
                        return null;
                    return {|#4:Encoding.ASCII.GetString(header, 0, 8)|};
                }

                string? ReadAgainAfterTheGuard(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read < 0x40)
                        return null;
                    read = input.Read(header, 0, header.Length);
                    return {|#5:Encoding.ASCII.GetString(header, 0, 8)|};
                }

                string? GuardAfterTheDecode(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    var magic = {|#6:Encoding.ASCII.GetString(header, 0, 8)|};
                    if (read < 0x40)
                        return null;
                    return magic;
                }

                void ForwardHeader(Socket socket, Socket other)
                {
                    var buf = new byte[1500];
                    int n = socket.Receive(buf);
                    if (n < 12) return;
                    {|#7:other.Send(buf, 0, 16, SocketFlags.None)|};
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(
            source,
            Expected(0, "Encoding.GetString", "8", "read"),
            Expected(1, "Encoding.GetString", "9", "read"),
            Expected(2, "Encoding.GetString", "8", "read"),
            Expected(3, "Encoding.GetString", "8", "read"),
            Expected(4, "Encoding.GetString", "8", "read"),
            Expected(5, "Encoding.GetString", "8", "read"),
            Expected(6, "Encoding.GetString", "8", "read"),
            Expected(7, "Socket.Send", "16", "n"));

        static DiagnosticResult Expected(int location, string api, string sent, string valid)
            => VerifyCS.Diagnostic("KS0004").WithLocation(location).WithArguments(api, sent, valid)
                .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);
    }

    // ------------------------------------------------------------------------------------------
    // Not flagged.

    [Fact]
    public async Task Count_is_already_the_valid_length()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                int Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.Send(msg, 0, len, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Count_clamped_with_Math_Min_including_the_valid_length()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output, int limit)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, Math.Min(n, limit));
                }
            }
            """);
    }

    [Fact]
    public async Task Whole_buffer_cleared_before_the_fill_is_a_fixed_record()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                int Write(Socket socket, byte[] buff, int len)
                {
                    Array.Clear(msg);
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.Send(msg, 0, 80, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Tail_zeroed_after_the_fill_is_a_fixed_record()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Record
            {
                void Write(Stream output, byte[] name)
                {
                    var record = new byte[64];
                    int n = Math.Min(name.Length, 64);
                    Array.Copy(name, record, n);
                    record.AsSpan(n).Clear();
                    output.Write(record, 0, 64);
                }
            }
            """);
    }

    [Fact]
    public async Task Buffer_filled_with_Span_Fill_before_the_copy_is_a_fixed_record()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Record
            {
                private readonly byte[] field = new byte[32];

                void Write(Stream output, string value)
                {
                    field.AsSpan().Fill((byte)' ');
                    int n = Encoding.ASCII.GetBytes(value, 0, value.Length, field, 0);
                    output.Write(field, 0, field.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task GetBytes_of_a_string_is_exactly_the_valid_data()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                void Send(Socket socket, Stream log, string text)
                {
                    byte[] bytes = Encoding.UTF8.GetBytes(text);
                    socket.Send(bytes);
                    log.Write(bytes, 0, bytes.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task Header_array_written_in_full()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Framer
            {
                void WriteFrame(Stream output, byte[] payload)
                {
                    var header = new byte[4];
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
                    output.Write(header, 0, 4);
                    var magic = new byte[2];
                    Buffer.BlockCopy(payload, 0, magic, 0, 2);
                    output.Write(magic, 0, 2);
                    output.Write(magic);
                }
            }
            """);
    }

    [Fact]
    public async Task Array_allocated_with_the_valid_length()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                void Send(Socket socket, byte[] data, int len)
                {
                    var copy = new byte[len];
                    Buffer.BlockCopy(data, 0, copy, 0, len);
                    socket.Send(copy);
                }
            }
            """);
    }

    [Fact]
    public async Task Encoded_into_an_array_sized_by_GetByteCount()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                void Send(Socket socket, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetByteCount(text)];
                    int written = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    socket.Send(bytes);
                }
            }
            """);
    }

    [Fact]
    public async Task Encoded_into_an_array_sized_by_GetMaxByteCount_and_sent_whole_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                void Send(Socket socket, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
                    int written = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    {|KS0004:socket.Send(bytes)|};
                }

                void Write(Stream stream, string text, Encoding encoding)
                {
                    var bytes = new byte[encoding.GetMaxByteCount(text.Length)];
                    var n = encoding.GetBytes(text.AsSpan(), bytes);
                    {|KS0004:stream.Write(bytes, 0, bytes.Length)|};
                }

                void ThroughALocal(Socket socket, string text, Encoding encoding)
                {
                    int max = encoding.GetMaxByteCount(text.Length);
                    var bytes = new byte[max];
                    var written = encoding.GetBytes(text, 0, text.Length, bytes, 0);
                    {|KS0004:socket.Send(bytes)|};
                }

                void WithRoom(Stream stream, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length) + 2];
                    var n = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    {|KS0004:stream.Write(bytes, 0, bytes.Length)|};
                }

                void SendValid(Socket socket, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
                    int written = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    socket.Send(bytes, 0, written, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Fix_sends_the_encoded_length_of_a_GetMaxByteCount_buffer()
    {
        await VerifyCS.VerifyCodeFixAsync(Usings + """
            class Sender
            {
                void Send(Socket socket, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
                    int written = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    {|KS0004:socket.Send(bytes)|};
                }
            }
            """, Usings + """
            class Sender
            {
                void Send(Socket socket, string text)
                {
                    var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
                    int written = Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
                    socket.Send(bytes, 0, written, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Copy_of_the_whole_buffer_length_fills_it()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                private readonly byte[] frame = new byte[128];

                void Send(Socket socket, byte[] template)
                {
                    Array.Copy(template, frame, frame.Length);
                    socket.Send(frame);
                }
            }
            """);
    }

    [Fact]
    public async Task Valid_length_unknown_when_an_unknown_method_fills_the_buffer()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                static void Encode(byte[] destination, int value) { }

                void Send(Socket socket, byte[] data, int len)
                {
                    var buffer = new byte[256];
                    Buffer.BlockCopy(data, 0, buffer, 0, len);
                    Encode(buffer, 42);
                    socket.Send(buffer, 0, 256, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Read_result_discarded_gives_no_valid_length()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[16];
                    input.ReadExactly(buffer);
                    output.Write(buffer, 0, buffer.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task User_type_with_a_Send_method_is_not_a_socket()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Channel
            {
                public int Send(byte[] buffer, int offset, int size, SocketFlags flags) => size;
            }

            class Device
            {
                static byte[] msg = new byte[80];

                int Write(Channel channel, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return channel.Send(msg, 0, 80, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Managed_method_named_send_is_not_libc()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            static class Device
            {
                static byte[] msg = new byte[80];

                static nint send(int fd, byte[] buf, nuint len, int flags) => (nint)len;

                static nint Write(int fd, IntPtr src, int len)
                {
                    Marshal.Copy(src, msg, 0, len);
                    return send(fd, msg, 80, 0);
                }
            }
            """);
    }

    [Fact]
    public async Task Fill_in_one_branch_only()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                int Write(Socket socket, byte[] buff, int len, bool fresh)
                {
                    if (fresh)
                        Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.Send(msg, 0, 80, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Valid_length_reassigned_before_the_send()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[64];
                    int n = input.Read(buffer, 0, buffer.Length);
                    n = Pad(n);
                    output.Write(buffer, 0, 64);
                }

                static int Pad(int n) => 64;
            }
            """);
    }

    [Fact]
    public async Task Terminator_written_after_the_fill()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                void Write(Socket socket, byte[] text, int len)
                {
                    var line = new byte[81];
                    Buffer.BlockCopy(text, 0, line, 0, len);
                    line[len] = (byte)'\n';
                    socket.Send(line, 0, 81, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Read_at_a_running_offset_accumulates()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[64];
                    int total = 0;
                    while (total < buffer.Length)
                    {
                        int n = input.Read(buffer, total, buffer.Length - total);
                        if (n == 0) break;
                        total += n;
                    }

                    output.Write(buffer, 0, buffer.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task Send_in_a_lambda_does_not_see_the_fill()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                Action Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return () => socket.Send(msg, 0, 80, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Constant_fill_at_least_the_constant_sent()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                void Write(Socket socket, byte[] record)
                {
                    Buffer.BlockCopy(record, 0, msg, 0, 80);
                    socket.Send(msg, 0, 80, SocketFlags.None);
                    socket.Send(msg);
                }
            }
            """);
    }

    [Fact]
    public async Task Copy_of_a_readonly_size_is_not_comparable_with_the_constant()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static readonly int RecordSize = 80;
                static byte[] msg = new byte[80];

                void Write(Socket socket, byte[] record)
                {
                    Buffer.BlockCopy(record, 0, msg, 0, RecordSize);
                    socket.Send(msg, 0, 80, SocketFlags.None);
                    socket.Send(msg);
                }
            }
            """);
    }

    [Fact]
    public async Task Pinned_buffer_written_through_the_pointer()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            static unsafe class Device
            {
                static byte[] msg = new byte[80];

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nuint len, int flags);

                static nint DeviceWrite(int fd, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    fixed (byte* p = &msg[0])
                    {
                        p[len] = 0;
                        return send(fd, p, 80, 0);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Send_before_the_read_in_the_loop()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Poller
            {
                void Run(Socket socket, Stream input)
                {
                    var request = new byte[8];
                    while (true)
                    {
                        socket.Send(request, 0, 8, SocketFlags.None);
                        int n = input.Read(request, 0, request.Length);
                        if (n == 0) return;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Fill_at_a_non_zero_offset_is_not_the_whole_story()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Framer
            {
                private readonly byte[] frame = new byte[256];

                void Send(Socket socket, byte[] payload, int len)
                {
                    frame[0] = 0x7E;
                    Buffer.BlockCopy(payload, 0, frame, 1, len);
                    socket.Send(frame, 0, 256, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Short_read_rejected_before_the_whole_buffer_is_written()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void CopyBlock(Stream input, Stream output)
                {
                    var block = new byte[512];
                    int n = input.Read(block, 0, block.Length);
                    if (n != block.Length)
                        throw new EndOfStreamException();
                    output.Write(block, 0, block.Length);
                }
            }
            """);
    }

    // Real code (a D-Bus client reading its auth line byte by byte): the read is checked against the
    // array's constant size, so the whole array is valid.
    [Fact]
    public async Task Short_read_rejected_against_the_allocated_size_before_the_whole_buffer_is_used()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class BusConnection
            {
                [DllImport("libc")]
                static extern int recv(int sockfd, byte[] buf, int len, int flags);

                static string ReadLine(int fd)
                {
                    var line = "";
                    var receiveByte = new byte[1];
                    while (!line.EndsWith("\r\n"))
                    {
                        var result = recv(fd, receiveByte, 1, 0);
                        if (result != 1)
                            throw new InvalidOperationException("recv failed: " + result);
                        line += Encoding.ASCII.GetString(receiveByte);
                    }

                    return line;
                }

                static void ForwardHeader(Stream input, Socket output)
                {
                    var header = new byte[4];
                    int n = input.Read(header, 0, 4);
                    if (n != 4)
                        throw new EndOfStreamException();
                    output.Send(header);
                }
            }
            """);
    }

    [Fact]
    public async Task Length_checked_against_the_record_size_before_the_copy()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                static byte[] msg = new byte[80];

                int Write(Socket socket, byte[] buff, int len)
                {
                    if (len != 80)
                        throw new ArgumentException("records are 80 bytes", nameof(len));
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return socket.Send(msg, 0, 80, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task ReadAtLeast_the_whole_buffer_fills_it()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void CopyBlock(Stream input, Stream output)
                {
                    var block = new byte[512];
                    int n = input.ReadAtLeast(block, block.Length);
                    output.Write(block);
                }
            }
            """);
    }

    [Fact]
    public async Task ReadAtLeast_that_may_stop_short_of_the_whole_buffer_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void AtEnd(Stream input, Stream output)
                {
                    var block = new byte[512];
                    int n = input.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
                    {|KS0004:output.Write(block)|};
                }

                void OtherLength(Stream input, Stream output, byte[] header)
                {
                    var block = new byte[512];
                    int n = input.ReadAtLeast(block, header.Length);
                    {|KS0004:output.Write(block)|};
                }
            }
            """);
    }

    [Fact]
    public async Task Incomplete_code_does_not_crash_the_analyzer()
    {
        var test = new VerifyCS.Test
        {
            TestCode = Usings + """
                class Broken
                {
                    static byte[] msg = new byte[80];

                    int Write(Socket socket, byte[] buff, int len)
                    {
                        Buffer.BlockCopy(buff, 0, msg, 0, );
                        Buffer.BlockCopy(buff, 0, Missing, 0, len);
                        socket.Send(msg, 0, );
                        socket.Send(Unknown, 0, 80, SocketFlags.None);
                        socket.Send(msg, 0, 80, SocketFlags.None
                        return socket.Send(msg, 0, 80, SocketFlags.None);
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Decoding_the_valid_prefix_only()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Device
            {
                string ReadLine(Stream port)
                {
                    var buffer = new byte[80];
                    int n = port.Read(buffer, 0, buffer.Length);
                    Console.WriteLine(Encoding.ASCII.GetString(buffer, 0, n));
                    return Encoding.ASCII.GetString(buffer.AsSpan(0, n));
                }
            }
            """);
    }

    // Public code (an executable-header reader): the read is checked to be at least 64 bytes before a fixed
    // 8-byte decode, so every byte decoded is valid data.
    [Fact]
    public async Task Decode_of_a_fixed_prefix_after_a_minimum_length_guard()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            #nullable enable
            public static class ExeMagic
            {
                public static string? ReadMagic(string path)
                {
                    using var fs = File.OpenRead(path);
                    var header = new byte[0x800];
                    int read = fs.Read(header, 0, header.Length);
                    if (read < 0x40)
                    {
                        return null;
                    }

                    return Encoding.ASCII.GetString(header, 0, 8).TrimEnd('\0');
                }
            }
            """);
    }

    [Fact]
    public async Task Lower_bound_of_the_valid_length_on_every_path_covers_a_fixed_count()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            #nullable enable
            class Headers
            {
                const int MinHeader = 0x40;
                const int SignatureOffset = 2;
                const int SignatureLength = 6;

                string Thrown(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read < 0x40)
                        throw new InvalidDataException("short header");
                    return Encoding.ASCII.GetString(header, 0, 8);
                }

                void Continued(Stream input, Stream output)
                {
                    var record = new byte[256];
                    while (true)
                    {
                        int n = input.Read(record, 0, record.Length);
                        if (n == 0)
                            break;
                        if (n < 48)
                            continue;
                        output.Write(record, 0, 32);
                    }
                }

                void Broken(Stream input, Stream output)
                {
                    var record = new byte[256];
                    for (;;)
                    {
                        int n = input.Read(record, 0, record.Length);
                        if (n < 48)
                            break;
                        output.Write(record, 0, 32);
                    }
                }

                string? Enclosed(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read >= 0x40)
                    {
                        return Encoding.ASCII.GetString(header, 0, 8);
                    }

                    return null;
                }

                string? Reversed(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (0x40 > read)
                        return null;
                    return Encoding.ASCII.GetString(header, 0, 8);
                }

                string? Named(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read < MinHeader)
                        return null;
                    return Encoding.ASCII.GetString(header, 0, SignatureOffset + SignatureLength);
                }

                string? AtMostExcluded(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read <= 8)
                        return null;
                    return Encoding.ASCII.GetString(header, 0, 9);
                }

                string? Exact(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read != 0x40)
                        return null;
                    return Encoding.ASCII.GetString(header, 0, 8);
                }

                string? Pattern(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    if (read is < 0x40)
                        return null;
                    return Encoding.ASCII.GetString(header.AsSpan(0, 8));
                }

                string Helper(Stream input)
                {
                    var header = new byte[0x800];
                    int read = input.Read(header, 0, header.Length);
                    ArgumentOutOfRangeException.ThrowIfLessThan(read, 0x40);
                    return Encoding.ASCII.GetString(header, 0, 8);
                }
            }
            """);
    }

    [Fact]
    public async Task Socket_relay_of_a_fixed_header_after_a_minimum_length_guard()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Forward(Socket socket, Socket other)
                {
                    var buf = new byte[1500];
                    int n = socket.Receive(buf);
                    if (n < 16) return;
                    other.Send(buf, 0, 16, SocketFlags.None);
                }

                void ForwardHeader(Socket socket, Socket other)
                {
                    var buf = new byte[1500];
                    int n = socket.Receive(buf);
                    if (n < 20) return;
                    other.Send(buf, 0, 16, SocketFlags.None);
                }
            }
            """);
    }

    // ------------------------------------------------------------------------------------------
    // Review: look-alikes a naive rule would flag.

    [Fact]
    public async Task Review_buffer_trimmed_by_AsSpan_or_AsMemory_before_the_send()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Forward(Stream input, Socket socket)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer, 0, buffer.Length);
                    socket.Send(buffer.AsSpan(0, n));
                }

                async Task ForwardAsync(Stream input, Socket socket)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(4096);
                    int n = await input.ReadAsync(buffer, 0, 4096);
                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                void ForwardSlice(Stream input, Stream output)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer);
                    output.Write(buffer.AsSpan()[..n]);
                }
            }
            """);
    }

    [Fact]
    public async Task Review_buffer_resized_to_the_valid_length_before_the_send()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Forward(Stream input, Socket socket)
                {
                    var buffer = new byte[4096];
                    int n = input.Read(buffer, 0, buffer.Length);
                    Array.Resize(ref buffer, n);
                    socket.Send(buffer);
                }

                void Encode(Socket socket, string text)
                {
                    var buffer = new byte[256];
                    int n = Encoding.UTF8.GetBytes(text, 0, text.Length, buffer, 0);
                    buffer = buffer[..n];
                    socket.Send(buffer, 0, buffer.Length, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Review_whole_buffer_sent_only_when_the_read_filled_it()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Forward(Stream input, Socket socket)
                {
                    var buffer = new byte[512];
                    int n = input.Read(buffer, 0, buffer.Length);
                    if (n == buffer.Length)
                    {
                        socket.Send(buffer);
                    }
                    else
                    {
                        socket.Send(buffer, 0, n, SocketFlags.None);
                    }
                }

                void ForwardFixed(Stream input, Stream output)
                {
                    var block = new byte[512];
                    int n = input.Read(block, 0, 512);
                    if (n < 512)
                    {
                        return;
                    }

                    output.Write(block, 0, 512);
                }
            }
            """);
    }

    [Fact]
    public async Task Review_classic_copy_loop_and_size_overloads_send_the_valid_length()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Pump(Stream input, Stream output)
                {
                    var buffer = new byte[81920];
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        output.Write(buffer, 0, n);
                    }
                }

                void Echo(Socket socket)
                {
                    var buffer = new byte[1024];
                    int n = socket.Receive(buffer);
                    socket.Send(buffer, n, SocketFlags.None);
                }

                void Datagram(UdpClient udp, Stream input, IPEndPoint peer)
                {
                    var buffer = new byte[1500];
                    int n = input.Read(buffer, 0, buffer.Length);
                    udp.Send(buffer, n, peer);
                }

                void ReadIntoOneSendAnother(Stream input, Socket socket, byte[] reply)
                {
                    var request = new byte[256];
                    input.ReadExactly(request, 0, 16);
                    socket.Send(reply);
                }
            }
            """);
    }

    [Fact]
    public async Task Review_read_until_full_then_whole_buffer_write_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void CopyBlock(Stream input, Socket socket)
                {
                    var block = new byte[512];
                    int total = 0;
                    while (total < block.Length)
                    {
                        int read = input.Read(block, total, block.Length - total);
                        if (read == 0) throw new EndOfStreamException();
                        total += read;
                    }

                    socket.Send(block);
                }

                void Exactly(Stream input, Socket socket)
                {
                    var block = new byte[512];
                    input.ReadExactly(block);
                    socket.Send(block);
                }
            }
            """);
    }

    // ------------------------------------------------------------------------------------------
    // Review: shapes RULES.md requires.

    [Fact]
    public async Task Review_UdpClient_send_of_the_whole_received_buffer_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Datagram(UdpClient udp, Stream input, IPEndPoint peer)
                {
                    var buffer = new byte[1500];
                    int n = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:udp.Send(buffer, buffer.Length, peer)|};
                }
            }
            """);
    }

    [Fact]
    public async Task Review_async_span_read_then_whole_array_SendAsync_is_flagged()
    {
        var source = Usings + """
            class Relay
            {
                async Task ForwardAsync(Stream input, Socket socket)
                {
                    var buffer = new byte[4096];
                    int n = await input.ReadAsync(buffer.AsMemory());
                    await {|KS0004:socket.SendAsync(buffer, SocketFlags.None)|};
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source);
    }

    // ------------------------------------------------------------------------------------------
    // Review: fix correctness.

    [Fact]
    public async Task Review_fix_in_an_expression_bodied_lambda_and_checked_context()
    {
        var source = Usings + """
            class Relay
            {
                static byte[] msg = new byte[80];

                Func<int> Forward(Socket socket, byte[] data, int len)
                {
                    checked
                    {
                        Buffer.BlockCopy(data, 0, msg, 0, len);
                        return () => 0;
                    }
                }

                int Write(Socket socket, byte[] data, int len)
                {
                    checked
                    {
                        Buffer.BlockCopy(data, 0, msg, 0, len);
                        return {|KS0004:socket.Send(msg, 0, 80, SocketFlags.None)|};
                    }
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                static byte[] msg = new byte[80];

                Func<int> Forward(Socket socket, byte[] data, int len)
                {
                    checked
                    {
                        Buffer.BlockCopy(data, 0, msg, 0, len);
                        return () => 0;
                    }
                }

                int Write(Socket socket, byte[] data, int len)
                {
                    checked
                    {
                        Buffer.BlockCopy(data, 0, msg, 0, len);
                        return socket.Send(msg, 0, len, SocketFlags.None);
                    }
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Review_fix_expands_a_whole_buffer_send_in_top_level_statements()
    {
        var test = new VerifyCS.Test
        {
            TestCode = Usings + """
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                var buffer = new byte[1024];
                int n = Console.OpenStandardInput().Read(buffer, 0, buffer.Length);
                {|KS0004:socket.Send(buffer)|};
                """,
            FixedCode = Usings + """
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                var buffer = new byte[1024];
                int n = Console.OpenStandardInput().Read(buffer, 0, buffer.Length);
                socket.Send(buffer, 0, n, SocketFlags.None);
                """,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.FixedState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        await test.RunAsync();
    }

    [Fact]
    public async Task Review_fix_with_a_long_valid_length_keeps_compiling()
    {
        var source = Usings + """
            class Relay
            {
                void Forward(Stream output, Stream input)
                {
                    var buffer = new byte[64];
                    long n = input.Read(buffer, 0, buffer.Length);
                    {|KS0004:output.Write(buffer, 0, 64)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Relay
            {
                void Forward(Stream output, Stream input)
                {
                    var buffer = new byte[64];
                    long n = input.Read(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, (int)n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Review_fix_of_a_native_recv_length_written_to_a_stream_casts_to_int()
    {
        var source = Usings + """
            class Bridge
            {
                [DllImport("libc", SetLastError = true)]
                static extern nint recv(int fd, byte[] buffer, nint length, int flags);

                void Forward(int fd, Stream output)
                {
                    var buffer = new byte[512];
                    nint n = recv(fd, buffer, buffer.Length, 0);
                    if (n <= 0) return;
                    {|KS0004:output.Write(buffer, 0, buffer.Length)|};
                }
            }
            """;
        var fixedSource = Usings + """
            class Bridge
            {
                [DllImport("libc", SetLastError = true)]
                static extern nint recv(int fd, byte[] buffer, nint length, int flags);

                void Forward(int fd, Stream output)
                {
                    var buffer = new byte[512];
                    nint n = recv(fd, buffer, buffer.Length, 0);
                    if (n <= 0) return;
                    output.Write(buffer, 0, (int)n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Review_reused_buffer_refilled_by_a_second_read_is_judged_by_the_last_read()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                void Forward(Stream input, Stream output)
                {
                    var buffer = new byte[512];
                    int header = input.Read(buffer, 0, 4);
                    input.ReadExactly(buffer, 0, buffer.Length);
                    output.Write(buffer, 0, buffer.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task Review_padded_or_replaced_buffers_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync(Usings + """
            class Terminal
            {
                void SendLine(Stream input, Socket socket)
                {
                    var line = new byte[80];
                    int n = input.Read(line, 0, line.Length);
                    line.AsSpan(n).Fill((byte)' ');
                    socket.Send(line);
                }

                void SendCleared(Stream input, Socket socket)
                {
                    var record = new byte[64];
                    int n = input.Read(record, 0, record.Length);
                    Array.Clear(record, n, record.Length - n);
                    socket.Send(record, 0, 64, SocketFlags.None);
                }

                void SendReplacement(Stream input, Socket socket, string text)
                {
                    var buffer = new byte[256];
                    int n = input.Read(buffer, 0, buffer.Length);
                    Console.WriteLine(n);
                    buffer = Encoding.UTF8.GetBytes(text);
                    socket.Send(buffer);
                }

                void SendBuilt(Socket socket, int value)
                {
                    using var ms = new MemoryStream();
                    ms.Write(BitConverter.GetBytes(value));
                    var frame = ms.ToArray();
                    socket.Send(frame);
                }
            }
            """);
    }

    [Fact]
    public async Task Fix_all_adds_missing_usings_once_for_several_fixes_in_a_document()
    {
        // The only namespace the fix imports is System (for AsSpan/AsMemory); the two fixes sit in different members.
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.IO;
                    using System.Threading.Tasks;

                    class Relay
                    {
                        void Pump(Stream input, Stream output)
                        {
                            var buffer = new byte[64];
                            int n = input.Read(buffer, 0, buffer.Length);
                            {|KS0004:output.Write(buffer)|};
                        }

                        async Task PumpAsync(Stream input, Stream output)
                        {
                            var buffer = new byte[64];
                            int n = await input.ReadAsync(buffer, 0, buffer.Length);
                            await {|KS0004:output.WriteAsync(buffer)|};
                        }
                    }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    """
                    using System;
                    using System.IO;
                    using System.Threading.Tasks;

                    class Relay
                    {
                        void Pump(Stream input, Stream output)
                        {
                            var buffer = new byte[64];
                            int n = input.Read(buffer, 0, buffer.Length);
                            output.Write(buffer.AsSpan(0, n));
                        }

                        async Task PumpAsync(Stream input, Stream output)
                        {
                            var buffer = new byte[64];
                            int n = await input.ReadAsync(buffer, 0, buffer.Length);
                            await output.WriteAsync(buffer.AsMemory(0, n));
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FixedSizeSendFix.EquivalenceKey,
        };
        await test.RunAsync();
    }
}
