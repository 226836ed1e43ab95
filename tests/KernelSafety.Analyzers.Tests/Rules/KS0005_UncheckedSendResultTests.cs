using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.UncheckedSendResultAnalyzer,
    KernelSafety.CodeFixes.Fixes.UncheckedSendResultFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0005_UncheckedSendResultTests
{
    // ---------------------------------------------------------------- flagged: native sends

    [Fact]
    public Task Native_send_whose_result_is_discarded_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    {|KS0005:send(fd, msg, len, 0)|};
                }
            }
            """);

    [Fact]
    public Task Native_send_result_tested_only_for_non_zero_is_flagged_like_the_listing()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void DeviceWrite(int soc, byte* msg)
                {
                    nint leng = {|KS0005:send(soc, msg, 80, 0)|};
                    if (leng != 0)
                    {
                        Console.WriteLine("OK");
                    }
                }
            }
            """);

    [Fact]
    public Task Native_send_result_tested_only_for_greater_than_zero_is_flagged_for_partial_sends()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public bool Write(int fd, byte* msg, nint len)
                {
                    if ({|#0:send(fd, msg, len, 0)|} > 0)
                    {
                        return true;
                    }

                    return {|#1:send(fd, msg, len, 0)|} != 0;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0005").WithLocation(0).WithArguments(
                "send", "only tested for a positive count, so a partial send passes for all sent; send the rest in a loop"),
            VerifyCS.Diagnostic("KS0005").WithLocation(1).WithArguments(
                "send", "only compared with 0, so -1 (a failure) or a partial send passes for success; check it for -1 and send the rest in a loop"));

    [Fact]
    public Task Native_send_result_tested_with_is_not_zero_pattern_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Write(int fd, byte* msg, int len)
                {
                    var n = {|KS0005:send(fd, msg, len, 0)|};
                    if (n is not 0)
                    {
                        Console.WriteLine("sent");
                    }
                }
            }
            """);

    [Fact]
    public Task Non_blocking_send_result_tested_only_with_an_or_pattern_of_error_values_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Device
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    var sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None)|};
                    if (sent is -1 or 0)
                    {
                        Console.WriteLine("nothing sent");
                    }
                }
            }
            """);

    [Fact]
    public Task Fix_for_a_send_result_tested_only_with_an_or_pattern()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net.Sockets;

            class Device
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    var sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None)|};
                    if (sent is -1 or 0)
                    {
                        Console.WriteLine("nothing sent");
                    }
                }
            }
            """, """
            using System;
            using System.Net.Sockets;

            class Device
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    int sent = 0;
                    while (sent < payload.Length)
                    {
                        int n = socket.Send(payload, sent, payload.Length - sent, SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                    if (sent is -1 or 0)
                    {
                        Console.WriteLine("nothing sent");
                    }
                }
            }
            """);

    [Fact]
    public Task Send_results_read_only_by_a_switch_on_error_values_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    var sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None)|};
                    switch (sent)
                    {
                        case -1 or 0:
                            Console.WriteLine("nothing sent");
                            break;
                    }
                }

                public string PushAndDescribe(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    var sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None)|};
                    return sent switch
                    {
                        -1 => "error",
                        0 => "closed",
                        _ => "ok",
                    };
                }

                public void Write(int fd, byte* msg, int len)
                {
                    var n = {|KS0005:send(fd, msg, len, 0)|};
                    switch (n)
                    {
                        case 0:
                            throw new InvalidOperationException("peer closed");
                        default:
                            break;
                    }
                }

                public void DefaultOnly(int fd, byte* msg, int len)
                {
                    var n = {|KS0005:send(fd, msg, len, 0)|};
                    switch (n)
                    {
                        default:
                            Console.WriteLine("sent");
                            break;
                    }
                }

                public string Discarded(int fd, byte* msg, int len)
                    => {|KS0005:send(fd, msg, len, 0)|} switch
                    {
                        _ => "sent",
                    };
            }
            """);

    [Fact]
    public Task Fix_for_send_results_read_only_by_a_switch()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    var sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None)|};
                    switch (sent)
                    {
                        case -1 or 0:
                            Console.WriteLine("nothing sent");
                            break;
                    }
                }

                public void Write(int fd, byte* msg, int len)
                {
                    var n = {|KS0005:send(fd, msg, len, 0)|};
                    switch (n)
                    {
                        case 0:
                            throw new InvalidOperationException("peer closed");
                    }
                }
            }
            """, """
            using System;
            using System.ComponentModel;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    int sent = 0;
                    while (sent < payload.Length)
                    {
                        int n = socket.Send(payload, sent, payload.Length - sent, SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                    switch (sent)
                    {
                        case -1 or 0:
                            Console.WriteLine("nothing sent");
                            break;
                    }
                }

                public void Write(int fd, byte* msg, int len)
                {
                    int n = 0;
                    while (n < len)
                    {
                        int written = send(fd, msg + n, len - n, 0);
                        if (written < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        n += written;
                    }
                    switch (n)
                    {
                        case 0:
                            throw new InvalidOperationException("peer closed");
                    }
                }
            }
            """);

    [Fact]
    public Task Fix_for_send_results_read_by_a_switch_that_compares_nothing()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void DefaultOnly(int fd, byte* msg, int len)
                {
                    var n = {|KS0005:send(fd, msg, len, 0)|};
                    switch (n)
                    {
                        default:
                            Console.WriteLine("sent");
                            break;
                    }
                }
            }
            """, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void DefaultOnly(int fd, byte* msg, int len)
                {
                    int n = 0;
                    while (n < len)
                    {
                        int written = send(fd, msg + n, len - n, 0);
                        if (written < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        n += written;
                    }
                    switch (n)
                    {
                        default:
                            Console.WriteLine("sent");
                            break;
                    }
                }
            }
            """);

    [Fact]
    public Task Send_results_read_by_a_switch_that_catches_errors_or_cannot_be_read_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Throws(int fd, byte* msg, int len)
                {
                    var n = send(fd, msg, len, 0);
                    switch (n)
                    {
                        case -1:
                            throw new InvalidOperationException("send failed");
                    }
                }

                public int Expression(int fd, byte* msg, int len)
                {
                    var n = send(fd, msg, len, 0);
                    return n switch
                    {
                        < 0 => throw new InvalidOperationException("send failed"),
                        _ => n,
                    };
                }

                public void Guarded(int fd, byte* msg, int len)
                {
                    var n = send(fd, msg, len, 0);
                    switch (n)
                    {
                        case var k when k < len:
                            throw new InvalidOperationException("short send");
                    }
                }

                public void DefaultOnlyPassesItOn(int fd, byte* msg, int len)
                {
                    var n = send(fd, msg, len, 0);
                    switch (n)
                    {
                        default:
                            Console.WriteLine(n);
                            break;
                    }
                }
            }
            """);

    [Fact]
    public Task Send_results_tested_with_or_patterns_that_catch_errors_and_short_sends_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte* buf, int len, int flags);

                public void Write(int fd, byte* msg, int len)
                {
                    var n = send(fd, msg, len, 0);
                    if (n is -1 or 0)
                    {
                        throw new InvalidOperationException("send failed");
                    }
                }
            }
            """);

    [Fact]
    public Task Native_send_result_equal_to_zero_as_the_only_failure_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern long send(int sockfd, byte* buf, ulong len, int flags);

                public void Write(int fd, byte* msg, ulong len)
                {
                    long n = {|KS0005:send(fd, msg, len, 0)|};
                    if (n == 0)
                    {
                        throw new InvalidOperationException("nothing sent");
                    }
                }
            }
            """);

    [Fact]
    public Task Native_send_result_stored_but_never_read_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint result = {|KS0005:send(fd, msg, len, 0)|};
                }
            }
            """);

    [Fact]
    public Task Native_send_result_assigned_to_a_discard_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    _ = {|KS0005:send(fd, msg, len, 0)|};
                }
            }
            """);

    [Fact]
    public Task Native_write_renamed_through_EntryPoint_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            static unsafe class Posix
            {
                [DllImport("libc", EntryPoint = "write", SetLastError = true)]
                public static extern nint WriteFile(int fd, byte* buf, nint count);
            }

            unsafe class Logger
            {
                public void Log(int fd, byte* line, nint length)
                {
                    {|KS0005:Posix.WriteFile(fd, line, length)|};
                }
            }
            """);

    [Fact]
    public async Task Native_write_renamed_in_a_large_interop_file_is_flagged_where_another_file_calls_it()
    {
        // The caller's file spells none of the fixed names (socket, send, write, ...), only the P/Invoke's own name, and
        // the interop file declares more P/Invokes than are looked for one by one: the names are found in one pass.
        var imports = string.Concat(Enumerable.Range(0, 40).Select(i => $$"""
                [DllImport("libdevice", EntryPoint = "device_op_{{i}}")]
                public static extern int DeviceOp{{i}}(int fd, nint arg);

            """));
        var test = new VerifyCS.Test();
        test.TestState.Sources.Add(("Posix.cs", $$"""
            using System.Runtime.InteropServices;

            static unsafe class Posix
            {
            {{imports}}    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
                public static extern nint WriteFile(int fd, byte* buf, nint count);
            }
            """));
        test.TestState.Sources.Add(("Logger.cs", """
            unsafe class Logger
            {
                public void Log(int fd, byte* line, nint length)
                {
                    {|KS0005:Posix.WriteFile(fd, line, length)|};
                }
            }
            """));
        await test.RunAsync();
    }

    [Fact]
    public Task Native_send_with_a_byte_array_buffer_discarded_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte[] buf, int len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    {|KS0005:send(fd, msg, msg.Length, 0)|};
                }
            }
            """);

    [Fact]
    public Task LibraryImport_send_whose_result_is_discarded_is_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Runtime.InteropServices;

                unsafe partial class Device
                {
                    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
                    private static partial nint Send(int sockfd, byte* buf, nint len, int flags);

                    public void Write(int fd, byte* msg, nint len)
                    {
                        {|KS0005:Send(fd, msg, len, 0)|};
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    // sendto without a destination, as a connected stream socket is sent to: a partial send is possible.
    [Fact]
    public Task Native_sendto_with_MSG_DONTWAIT_checked_only_for_errors_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                private const int MSG_DONTWAIT = 0x40;

                [DllImport("libc", SetLastError = true)]
                private static extern nint sendto(int sockfd, byte* buf, nint len, int flags, byte* addr, int addrlen);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint n = {|KS0005:sendto(fd, msg, len, MSG_DONTWAIT, null, 0)|};
                    if (n < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
            """);

    // The calling file spells no send name: the P/Invoke's own name (found in the declaring file) leads to it.
    [Fact]
    public Task Renamed_send_declared_in_another_file_is_flagged_where_it_is_called()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                """
                using System.Runtime.InteropServices;

                static unsafe class Posix
                {
                    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
                    public static extern nint Transmit(int fd, byte* buf, nint count, int flags);
                }
                """,
                """
                unsafe class Logger
                {
                    public void Log(int fd, byte* line, nint length)
                    {
                        {|KS0005:Posix.Transmit(fd, line, length, 0)|};
                    }
                }
                """,
            ]);

    // ---------------------------------------------------------------- flagged: managed sockets

    [Fact]
    public Task Send_on_a_local_made_non_blocking_whose_result_is_ignored_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Client
            {
                public void Push(IPEndPoint endPoint, byte[] payload)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(endPoint);
                    socket.Blocking = false;
                    {|KS0005:socket.Send(payload)|};
                }
            }
            """);

    [Fact]
    public Task Send_on_a_field_made_non_blocking_in_the_constructor_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                private readonly Socket socket;

                public Client(Socket connected)
                {
                    socket = connected;
                    socket.Blocking = false;
                }

                public void Push(byte[] payload, int count)
                {
                    {|KS0005:socket.Send(payload, 0, count, SocketFlags.None)|};
                }
            }
            """);

    // The file that sends never spells Blocking: the other part of the type does, and that decides the send.
    [Fact]
    public Task Send_on_a_field_made_non_blocking_in_another_file_of_a_partial_type_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                """
                using System.Net.Sockets;

                partial class Client
                {
                    private readonly Socket socket;

                    public Client(Socket connected)
                    {
                        socket = connected;
                        socket.Blocking = false;
                    }
                }
                """,
                """
                partial class Client
                {
                    public void Push(byte[] payload)
                    {
                        {|KS0005:socket.Send(payload)|};
                    }
                }
                """,
            ]);

    // Another type makes its own socket non-blocking; this type's sends are blocking and their results need no loop.
    [Fact]
    public Task Send_on_a_field_whose_type_never_spells_Blocking_is_not_flagged_as_non_blocking()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                """
                using System.Net.Sockets;

                class Poller
                {
                    private Socket? current;

                    public void Attach(Socket accepted) => (current = accepted).Blocking = false;

                    public int Offer(byte[] payload) => current?.Send(payload) ?? 0;
                }
                """,
                """
                using System.Net.Sockets;

                class Client
                {
                    private readonly Socket socket;

                    public Client(Socket connected) => socket = connected;

                    public void Push(byte[] payload)
                    {
                        socket.Send(payload);
                    }
                }
                """,
            ]);

    [Fact]
    public Task Send_on_a_socket_created_non_blocking_by_an_object_initializer_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(ReadOnlySpan<byte> payload)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                    int sent = {|KS0005:socket.Send(payload)|};
                    if (sent > 0)
                    {
                        Console.WriteLine("OK");
                    }
                }
            }
            """);

    [Fact]
    public Task Send_with_out_SocketError_never_read_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                public int Push(Socket socket, byte[] payload)
                {
                    int sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None, out SocketError error)|};
                    return sent;
                }
            }
            """);

    [Fact]
    public Task Send_with_out_SocketError_discarded_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, ReadOnlySpan<byte> payload)
                {
                    {|KS0005:socket.Send(payload, SocketFlags.None, out _)|};
                }
            }
            """);

    // ---------------------------------------------------------------- not flagged

    [Fact]
    public Task Blocking_managed_Send_whose_result_is_ignored_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Send(payload);
                    socket.Send(payload, 0, payload.Length, SocketFlags.None);
                }
            }
            """);

    [Fact]
    public Task Native_result_checked_for_negative_on_a_blocking_socket_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint n = send(fd, msg, len, 0);
                    if (n < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }

                public bool TryWrite(int fd, byte* msg, nint len) => send(fd, msg, len, 0) != -1;
            }
            """);

    [Fact]
    public Task Native_result_fed_into_a_loop_that_sends_the_rest_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                private const int MSG_DONTWAIT = 0x40;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint sent = 0;
                    while (sent < len)
                    {
                        nint n = send(fd, msg + sent, len - sent, MSG_DONTWAIT);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """);

    [Fact]
    public Task Native_result_returned_or_passed_to_the_caller_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public nint Write(int fd, byte* msg, nint len) => send(fd, msg, len, 0);

                public void Report(int fd, byte* msg, nint len, Action<nint> done)
                {
                    done(send(fd, msg, len, 0));
                }

                public bool TryWrite(int fd, byte* msg, nint len, out nint written)
                {
                    written = send(fd, msg, len, 0);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Native_result_compared_with_the_length_asked_for_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    if (send(fd, msg, len, 0x40) != len)
                    {
                        throw new IOException("short write");
                    }
                }
            }
            """);

    [Fact]
    public Task Stream_Write_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    using var stream = new NetworkStream(socket);
                    stream.Write(payload, 0, payload.Length);
                }
            }
            """);

    [Fact]
    public Task User_type_with_a_Send_method_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            class Mailer
            {
                public bool Blocking { get; set; }

                public int Send(byte[] message) => message.Length;
            }

            class Client
            {
                public void Push(Mailer mailer, byte[] payload)
                {
                    mailer.Blocking = false;
                    mailer.Send(payload);
                }
            }
            """);

    [Fact]
    public Task Managed_static_method_named_send_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            class Device
            {
                private static long send(int fd, byte[] buf, long len, int flags) => len;

                public void Write(int fd, byte[] msg)
                {
                    send(fd, msg, msg.Length, 0);
                }
            }
            """);

    [Fact]
    public Task Native_recv_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint recv(int sockfd, byte* buf, nint len, int flags);

                public void Drain(int fd, byte* buf, nint len)
                {
                    recv(fd, buf, len, 0);
                }
            }
            """);

    [Fact]
    public Task Send_with_out_SocketError_that_is_checked_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                public int Push(Socket socket, byte[] payload)
                {
                    int sent = socket.Send(payload, 0, payload.Length, SocketFlags.None, out SocketError error);
                    if (error != SocketError.Success)
                    {
                        throw new SocketException((int)error);
                    }

                    return sent;
                }

                public void PushAndReport(Socket socket, byte[] payload, out SocketError error)
                {
                    socket.Send(payload, 0, payload.Length, SocketFlags.None, out error);
                }
            }
            """);

    [Fact]
    public Task Send_on_another_socket_than_the_non_blocking_one_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Relay
            {
                public void Forward(Socket listener, Socket peer, byte[] payload)
                {
                    listener.Blocking = false;
                    peer.Blocking = true;
                    peer.Send(payload);
                }
            }
            """);

    [Fact]
    public Task Non_blocking_Send_in_a_loop_that_sends_the_rest_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    int sent = 0;
                    while (sent < payload.Length)
                    {
                        sent += socket.Send(payload, sent, payload.Length - sent, SocketFlags.None);
                    }

                    int n = socket.Send(payload);
                    if (n != payload.Length)
                    {
                        throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
                    }
                }
            }
            """);

    [Fact]
    public Task Non_blocking_SendAsync_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Client
            {
                public async Task PushAsync(Socket socket, ReadOnlyMemory<byte> payload)
                {
                    socket.Blocking = false;
                    await socket.SendAsync(payload, SocketFlags.None);
                }
            }
            """);

    [Fact]
    public Task Native_result_stored_in_a_field_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                private nint lastResult;

                public void Write(int fd, byte* msg, nint len)
                {
                    lastResult = send(fd, msg, len, 0);
                }
            }
            """);

    // ---------------------------------------------------------------- fixes

    [Fact]
    public Task SendAll_replaces_a_discarded_native_send_with_a_loop_that_throws_on_error()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    {|KS0005:send(fd, msg, len, 0)|};
                }
            }
            """,
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    for (nint sent = 0; sent < len;)
                    {
                        nint n = send(fd, msg + sent, len - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_keeps_the_listing_variable_as_the_running_total()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void DeviceWrite(int soc, byte* msg)
                {
                    var leng = {|KS0005:send(soc, msg, 80, 0)|};
                    if (leng != 0)
                    {
                        Console.WriteLine("OK");
                    }
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void DeviceWrite(int soc, byte* msg)
                {
                    nint leng = 0;
                    while (leng < 80)
                    {
                        nint n = send(soc, msg + leng, 80 - leng, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        leng += n;
                    }
                    if (leng != 0)
                    {
                        Console.WriteLine("OK");
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_returns_minus_one_in_a_method_that_returns_a_count()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, void* buf, int len, int flags);

                public int Write(int fd, void* msg, int len)
                {
                    {|KS0005:send(fd, msg, len, 0)|};
                    return len;
                }
            }
            """,
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, void* buf, int len, int flags);

                public int Write(int fd, void* msg, int len)
                {
                    for (int sent = 0; sent < len;)
                    {
                        int n = send(fd, (byte*)msg + sent, len - sent, 0);
                        if (n < 0)
                        {
                            return -1;
                        }

                        sent += n;
                    }
                    return len;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_advances_an_IntPtr_buffer_and_casts_an_unsigned_length()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", EntryPoint = "write", SetLastError = true)]
                private static extern long Write(int fd, IntPtr buf, ulong count);

                public void Flush(int fd, IntPtr data, ulong size)
                {
                    {|KS0005:Write(fd, data, size)|};
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", EntryPoint = "write", SetLastError = true)]
                private static extern long Write(int fd, IntPtr buf, ulong count);

                public void Flush(int fd, IntPtr data, ulong size)
                {
                    for (long sent = 0; sent < (long)size;)
                    {
                        long n = Write(fd, data + (nint)sent, (ulong)((long)size - sent));
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_picks_loop_names_that_do_not_collide()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len, int n)
                {
                    {|KS0005:send(fd, msg, len, 0)|};
                    var sent = n;
                }
            }
            """,
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len, int n)
                {
                    for (nint total = 0; total < len;)
                    {
                        nint written = send(fd, msg + total, len - total, 0);
                        if (written < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        total += written;
                    }
                    var sent = n;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_resends_the_tail_of_a_byte_array_buffer_in_the_listing_shape()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] msg)
                {
                    nint sent = {|KS0005:send(fd, msg, 80, MSG_NOSIGNAL)|}; // the listing's sock_sendmsg
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] msg)
                {
                    nint sent = 0;
                    while (sent < 80)
                    {
                        nint n = send(fd, sent == 0 ? msg : msg[(int)sent..], (nuint)(80 - sent), MSG_NOSIGNAL);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    } // the listing's sock_sendmsg
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    /// <summary>
    /// The shape KS0004's fix leaves (the count bounded with Math.Min in the call): the loop sends up to that bound.
    /// Before, the fix declined any count that was not a plain name or constant, so when dotnet format applied KS0004's
    /// fix first, KS0005 could never be fixed.
    /// </summary>
    [Fact]
    public Task SendAll_keeps_a_Math_Min_count_as_the_total()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] msg, int len)
                {
                    nint sent = {|KS0005:send(fd, msg, Math.Min((nuint)len, (nuint)msg.Length), MSG_NOSIGNAL)|};
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] msg, int len)
                {
                    nint sent = 0;
                    while (sent < (nint)Math.Min((nuint)len, (nuint)msg.Length))
                    {
                        nint n = send(fd, sent == 0 ? msg : msg[(int)sent..], (nuint)((nint)Math.Min((nuint)len, (nuint)msg.Length) - sent), MSG_NOSIGNAL);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    /// <summary>
    /// The send also has KS0004's bug (80 bytes sent, len valid). Whichever fix runs first, the result must send
    /// len bytes: the loop counts up to the valid length, not the fixed size.
    /// </summary>
    [Fact]
    public Task SendAll_sends_the_valid_length_when_the_count_is_a_fixed_size_over_a_shorter_copy()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    nint sent = {|KS0005:send(fd, msg, 80, 0)|};
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    nint sent = 0;
                    while (sent < Math.Min(len, msg.Length))
                    {
                        nint n = send(fd, sent == 0 ? msg : msg[(int)sent..], (nuint)(Math.Min(len, msg.Length) - sent), 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                    if (sent != 0)
                    {
                        Console.WriteLine("native: OK");
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_counts_up_to_a_variable_length_cast_for_the_byte_array_send_and_returns_minus_one()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static int DeviceWrite(int fd, byte[] msg, int len, int flags)
                {
                    nint sent = {|KS0005:send(fd, msg, (nuint)len, flags)|};
                    if (sent != 0)
                    {
                        return len;
                    }

                    return 0;
                }
            }
            """,
            """
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static int DeviceWrite(int fd, byte[] msg, int len, int flags)
                {
                    nint sent = 0;
                    while (sent < len)
                    {
                        nint n = send(fd, sent == 0 ? msg : msg[(int)sent..], (nuint)(len - sent), flags);
                        if (n < 0)
                        {
                            return -1;
                        }

                        sent += n;
                    }
                    if (sent != 0)
                    {
                        return len;
                    }

                    return 0;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_indexes_a_byte_array_with_an_int_total_without_a_cast()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte[] buf, int len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    {|KS0005:send(fd, msg, msg.Length, 0)|};
                }
            }
            """,
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte[] buf, int len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    for (int sent = 0; sent < msg.Length;)
                    {
                        int n = send(fd, sent == 0 ? msg : msg[sent..], msg.Length - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_fixes_every_byte_array_send_of_a_method_in_one_fix_all()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public int Write(int fd, byte[] header, byte[] body, int len)
                {
                    {|KS0005:send(fd, header, 8, 0)|};
                    nint sent = {|KS0005:send(fd, body, (nuint)len, 0)|};
                    return sent == 0 ? 0 : len;
                }
            }
            """,
            """
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public int Write(int fd, byte[] header, byte[] body, int len)
                {
                    for (nint total = 0; total < 8;)
                    {
                        nint n = send(fd, total == 0 ? header : header[(int)total..], (nuint)(8 - total), 0);
                        if (n < 0)
                        {
                            return -1;
                        }

                        total += n;
                    }
                    nint sent = 0;
                    while (sent < len)
                    {
                        nint n = send(fd, sent == 0 ? body : body[(int)sent..], (nuint)(len - sent), 0);
                        if (n < 0)
                        {
                            return -1;
                        }

                        sent += n;
                    }
                    return sent == 0 ? 0 : len;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_is_not_offered_for_a_byte_array_buffer_before_CSharp_8()
    {
        const string Source = """
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte[] buf, int len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    {|KS0005:send(fd, msg, msg.Length, 0)|};
                }
            }
            """;
        var test = new VerifyCS.Test
        {
            TestCode = Source,
            FixedCode = Source,
        };
        test.SolutionTransforms.Add((solution, projectId) => solution.WithProjectParseOptions(
            projectId,
            ((CSharpParseOptions)solution.GetProject(projectId)!.ParseOptions!).WithLanguageVersion(LanguageVersion.CSharp7_3)));
        return test.RunAsync();
    }

    [Fact]
    public Task SendAll_is_not_offered_for_a_byte_array_buffer_without_GetSubArray()
    {
        const string Source = """
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int send(int sockfd, byte[] buf, int len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    {|KS0005:send(fd, msg, msg.Length, 0)|};
                }
            }
            """;
        var test = new VerifyCS.Test
        {
            TestCode = Source,
            FixedCode = Source,
            ReferenceAssemblies = ReferenceAssemblies.NetStandard.NetStandard20,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task SendAll_is_not_offered_for_a_byte_array_send_with_MSG_DONTWAIT()
    {
        const string Source = """
            using System.Runtime.InteropServices;

            class Device
            {
                private const int MSG_DONTWAIT = 0x40;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public void Write(int fd, byte[] msg)
                {
                    nint n = {|KS0005:send(fd, msg, 80, MSG_DONTWAIT)|};
                    if (n < 0)
                    {
                        throw new System.InvalidOperationException();
                    }
                }
            }
            """;
        return VerifyCS.VerifyCodeFixAsync(Source, Source, UncheckedSendResultFix.EquivalenceKey);
    }

    [Fact]
    public Task Byte_array_send_loop_written_by_the_fix_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            static class NativeDevice
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

                public static void DeviceWrite(int fd, byte[] msg, int len)
                {
                    nint sent = 0;
                    while (sent < len)
                    {
                        nint n = send(fd, sent == 0 ? msg : msg[(int)sent..], (nuint)(len - sent), 0x4000);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """);

    [Fact]
    public Task SendAll_loops_over_a_non_blocking_Socket_Send_and_waits_out_WouldBlock()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Net.Sockets;

            class Client
            {
                private readonly Socket socket;

                public Client(Socket connected)
                {
                    socket = connected;
                    socket.Blocking = false;
                }

                public void Push(byte[] payload, int offset, int count)
                {
                    {|KS0005:socket.Send(payload, offset, count, SocketFlags.None)|};
                }
            }
            """,
            """
            using System.Net.Sockets;

            class Client
            {
                private readonly Socket socket;

                public Client(Socket connected)
                {
                    socket = connected;
                    socket.Blocking = false;
                }

                public void Push(byte[] payload, int offset, int count)
                {
                    for (int sent = 0; sent < count;)
                    {
                        int n = socket.Send(payload, offset + sent, count - sent, SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_slices_a_span_sent_on_a_non_blocking_socket()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, ReadOnlySpan<byte> payload)
                {
                    socket.Blocking = false;
                    int sent = {|KS0005:socket.Send(payload)|};
                    Console.WriteLine(sent > 0 ? "OK" : "failed");
                }
            }
            """,
            """
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, ReadOnlySpan<byte> payload)
                {
                    socket.Blocking = false;
                    int sent = 0;
                    while (sent < payload.Length)
                    {
                        int n = socket.Send(payload.Slice(sent), SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                    Console.WriteLine(sent > 0 ? "OK" : "failed");
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task CheckSocketError_throws_when_the_error_is_not_Success()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Net.Sockets;

            class Client
            {
                public int Push(Socket socket, byte[] payload)
                {
                    int sent = {|KS0005:socket.Send(payload, 0, payload.Length, SocketFlags.None, out SocketError error)|};
                    return sent;
                }
            }
            """,
            """
            using System.Net.Sockets;

            class Client
            {
                public int Push(Socket socket, byte[] payload)
                {
                    int sent = socket.Send(payload, 0, payload.Length, SocketFlags.None, out SocketError error);
                    if (error != SocketError.Success) throw new SocketException((int)error);
                    return sent;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task CheckSocketError_names_discarded_errors_one_by_one_in_fix_all()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
                {
                    {|KS0005:socket.Send(header, SocketFlags.None, out _)|};
                    {|KS0005:socket.Send(body, SocketFlags.None, out _)|};
                }
            }
            """,
            """
            using System;
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
                {
                    socket.Send(header, SocketFlags.None, out SocketError error);
                    if (error != SocketError.Success) throw new SocketException((int)error);
                    socket.Send(body, SocketFlags.None, out SocketError error2);
                    if (error2 != SocketError.Success) throw new SocketException((int)error2);
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_fixes_every_native_send_of_a_document()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* header, nint headerLength, byte* body, nint bodyLength)
                {
                    {|KS0005:send(fd, header, headerLength, 0)|};
                    {|KS0005:send(fd, body, bodyLength, 0)|};
                }
            }
            """,
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* header, nint headerLength, byte* body, nint bodyLength)
                {
                    for (nint sent = 0; sent < headerLength;)
                    {
                        nint n = send(fd, header + sent, headerLength - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                    for (nint sent = 0; sent < bodyLength;)
                    {
                        nint n = send(fd, body + sent, bodyLength - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_fixes_native_sends_across_documents()
    {
        const string Interop = """
            using System.Runtime.InteropServices;

            static unsafe class Libc
            {
                [DllImport("libc", EntryPoint = "send", SetLastError = true)]
                public static extern nint Send(int sockfd, byte* buf, nint len, int flags);
            }
            """;
        const string Before = """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class {0}
            {
                public void Write(int fd, byte* msg, nint len)
                {
                    {|KS0005:Libc.Send(fd, msg, len, 0)|};
                }
            }
            """;
        const string After = """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class {0}
            {
                public void Write(int fd, byte* msg, nint len)
                {
                    for (nint sent = 0; sent < len;)
                    {
                        nint n = Libc.Send(fd, msg + sent, len - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """;

        var test = new VerifyCS.Test
        {
            CodeActionEquivalenceKey = UncheckedSendResultFix.EquivalenceKey,
            TestState = { Sources = { Interop, Before.Replace("{0}", "Console"), Before.Replace("{0}", "Journal") } },
            FixedState = { Sources = { Interop, After.Replace("{0}", "Console"), After.Replace("{0}", "Journal") } },
        };
        return test.RunAsync();
    }

    [Fact]
    public Task SendAll_is_not_offered_for_a_MSG_DONTWAIT_send()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    {|KS0005:send(fd, msg, len, 0x40)|};
                }
            }
            """,
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    {|KS0005:send(fd, msg, len, 0x40)|};
                }
            }
            """);

    [Fact]
    public Task Native_send_in_a_nested_type_and_a_lambda_is_flagged_once_each()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Outer
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                private class Inner
                {
                    public void Write(int fd, byte* msg, nint len)
                    {
                        {|KS0005:send(fd, msg, len, 0)|};
                    }
                }

                public Action<int> Writer(byte* msg, nint len) => fd => {|KS0005:send(fd, msg, len, 0)|};
            }
            """);

    [Fact]
    public Task SendAll_adds_the_imports_it_needs_in_a_lambda()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public Action<int> Writer(byte* msg, nint len)
                    => fd =>
                    {
                        {|KS0005:send(fd, msg, len, 0)|};
                    };
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public Action<int> Writer(byte* msg, nint len)
                    => fd =>
                    {
                        for (nint sent = 0; sent < len;)
                        {
                            nint n = send(fd, msg + sent, len - sent, 0);
                            if (n < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }

                            sent += n;
                        }
                    };
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task CheckSocketError_in_a_switch_section_without_a_sockets_import()
        => VerifyCS.VerifyCodeFixAsync(
            """
            class Client
            {
                public void Push(System.Net.Sockets.Socket socket, byte[] payload, int kind)
                {
                    switch (kind)
                    {
                        case 1:
                            {|KS0005:socket.Send(payload, 0, payload.Length, System.Net.Sockets.SocketFlags.None, out var error)|};
                            break;
                    }
                }
            }
            """,
            """
            using System.Net.Sockets;

            class Client
            {
                public void Push(System.Net.Sockets.Socket socket, byte[] payload, int kind)
                {
                    switch (kind)
                    {
                        case 1:
                            socket.Send(payload, 0, payload.Length, System.Net.Sockets.SocketFlags.None, out var error);
                            if (error != SocketError.Success) throw new SocketException((int)error);
                            break;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_fix_all_imports_a_namespace_once()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* header, byte* body, nint length)
                {
                    {|KS0005:send(fd, header, 16, 0)|};
                    {|KS0005:send(fd, body, length, 0)|};
                }
            }
            """,
            """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* header, byte* body, nint length)
                {
                    for (nint sent = 0; sent < 16;)
                    {
                        nint n = send(fd, header + sent, 16 - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                    for (nint sent = 0; sent < length;)
                    {
                        nint n = send(fd, body + sent, length - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task Send_after_blocking_mode_is_restored_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Client
            {
                public void Push(IPEndPoint endPoint, byte[] payload)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Blocking = false;
                    try
                    {
                        socket.Connect(endPoint);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                    {
                        socket.Poll(5_000_000, SelectMode.SelectWrite);
                    }

                    socket.Blocking = true;
                    socket.Send(payload);
                }
            }
            """);

    [Fact]
    public Task SendAll_reuses_a_local_assigned_from_the_send()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint result;
                    result = {|KS0005:send(fd, msg, len, 0)|};
                    Console.WriteLine(result == 0 ? "nothing sent" : "sent");
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    nint result;
                    result = 0;
                    while (result < len)
                    {
                        nint n = send(fd, msg + result, len - result, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        result += n;
                    }
                    Console.WriteLine(result == 0 ? "nothing sent" : "sent");
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_works_in_top_level_statements()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
                Sources =
                {
                    """
                    using System;
                    using System.Runtime.InteropServices;

                    IntPtr data = Marshal.AllocHGlobal(64);
                    {|KS0005:Native.Send(3, data, 64, 0)|};
                    Marshal.FreeHGlobal(data);

                    static class Native
                    {
                        [DllImport("libc", EntryPoint = "send", SetLastError = true)]
                        public static extern nint Send(int sockfd, IntPtr buf, nint len, int flags);
                    }
                    """,
                },
            },
            FixedState =
            {
                OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
                Sources =
                {
                    """
                    using System;
                    using System.ComponentModel;
                    using System.Runtime.InteropServices;

                    IntPtr data = Marshal.AllocHGlobal(64);
                    for (nint sent = 0; sent < 64;)
                    {
                        nint n = Native.Send(3, data + sent, 64 - sent, 0);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        sent += n;
                    }
                    Marshal.FreeHGlobal(data);

                    static class Native
                    {
                        [DllImport("libc", EntryPoint = "send", SetLastError = true)]
                        public static extern nint Send(int sockfd, IntPtr buf, nint len, int flags);
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = UncheckedSendResultFix.EquivalenceKey,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Send_before_the_socket_is_made_non_blocking_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Client
            {
                public void Push(IPEndPoint endPoint, byte[] hello, byte[] payload)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(endPoint);
                    socket.Send(hello);
                    socket.Blocking = false;
                    {|KS0005:socket.Send(payload)|};
                }
            }
            """);

    [Fact]
    public Task SendAll_on_a_non_blocking_local_starts_from_the_offset_it_was_given()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    {|KS0005:socket.Send(payload, 0, 10, SocketFlags.None)|};
                    {|KS0005:socket.Send(payload)|};
                }
            }
            """,
            """
            using System.Net.Sockets;

            class Client
            {
                public void Push(Socket socket, byte[] payload)
                {
                    socket.Blocking = false;
                    for (int sent = 0; sent < 10;)
                    {
                        int n = socket.Send(payload, sent, 10 - sent, SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                    for (int sent = 0; sent < payload.Length;)
                    {
                        int n = socket.Send(payload, sent, payload.Length - sent, SocketFlags.None, out SocketError error);
                        if (error == SocketError.WouldBlock)
                        {
                            socket.Poll(-1, SelectMode.SelectWrite);
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            throw new SocketException((int)error);
                        }

                        sent += n;
                    }
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task LibraryImport_send_checked_for_errors_is_not_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.ComponentModel;
                using System.Runtime.InteropServices;

                unsafe partial class Device
                {
                    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
                    private static partial nint Send(int sockfd, byte* buf, nint len, int flags);

                    public void Write(int fd, byte* msg, nint len)
                    {
                        if (Send(fd, msg, len, 0) == -1)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Other_native_entry_points_and_UdpClient_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
                private static extern nint send(int sockfd, void* msghdr, int flags);

                public void Write(int fd, void* header, UdpClient udp, byte[] datagram)
                {
                    send(fd, header, 0);
                    udp.Send(datagram, datagram.Length);
                }
            }
            """);

    [Fact]
    public Task Native_result_logged_or_switched_on_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len)
                {
                    var n = send(fd, msg, len, 0);
                    Console.WriteLine($"sent {n} of {len}");

                    switch (send(fd, msg, len, 0))
                    {
                        case -1:
                            throw new InvalidOperationException();
                    }
                }
            }
            """);

    // ---------------------------------------------------------------- review: look-alikes

    [Fact]
    public Task Native_results_summed_into_a_total_and_checked_after_the_loop_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Batch
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public static void SendAll(int fd, byte*[] chunks, nint[] lengths)
                {
                    nint total = 0, expected = 0;
                    for (var i = 0; i < chunks.Length; i++)
                    {
                        total += send(fd, chunks[i], lengths[i], 0);
                        expected += lengths[i];
                    }

                    if (total != expected)
                    {
                        throw new InvalidOperationException("short send");
                    }
                }

                public static long SendTwice(int fd, byte* a, byte* b, nint len)
                {
                    long sent = 0;
                    sent = sent + send(fd, a, len, 0);
                    sent = sent + send(fd, b, len, 0);
                    return sent;
                }
            }
            """);

    [Fact]
    public Task Send_wrappers_that_return_the_result_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            unsafe static class Posix
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                [DllImport("libc", SetLastError = true)]
                private static extern nint write(int fd, byte* buf, nint count);

                public static nint Send(int fd, byte* buf, nint len) => send(fd, buf, len, 0);

                public static int Write(int fd, byte* buf, int count) => (int)write(fd, buf, count);

                public static Func<nint> Deferred(int fd, byte* buf, nint len) => () => send(fd, buf, len, 0);

                public static nint Checked(int fd, byte* buf, nint len)
                {
                    var n = send(fd, buf, len, 0);
                    return n switch
                    {
                        < 0 => throw new SocketException(Marshal.GetLastPInvokeError()),
                        _ => n,
                    };
                }
            }
            """);

    [Fact]
    public Task Non_blocking_send_results_summed_and_compared_with_the_total_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Generic;
            using System.Net.Sockets;

            class Pusher
            {
                private readonly Socket _socket;

                public Pusher(Socket socket)
                {
                    _socket = socket;
                    _socket.Blocking = false;
                }

                public bool TryPush(IReadOnlyList<byte[]> frames)
                {
                    int sent = 0, expected = 0;
                    foreach (var frame in frames)
                    {
                        sent += _socket.Send(frame);
                        expected += frame.Length;
                    }

                    return sent == expected;
                }
            }
            """);

    [Fact]
    public Task Native_result_handed_to_a_checking_helper_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                private static nint ThrowIfFailed(nint result)
                    => result < 0 ? throw new Win32Exception(Marshal.GetLastPInvokeError()) : result;

                public void Write(int fd, byte* msg, nint len)
                {
                    ThrowIfFailed(send(fd, msg, len, MSG_NOSIGNAL));
                    if (send(fd, msg, len, MSG_NOSIGNAL) == -1)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
            """);

    // ---------------------------------------------------------------- review: positives

    [Fact]
    public Task Native_send_compared_with_zero_in_an_expression_bodied_method_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Link
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public static bool TrySend(int fd, byte* buf, nint len) => {|KS0005:send(fd, buf, len, 0)|} > 0;
            }
            """);

    [Fact]
    public Task Native_send_with_combined_MSG_DONTWAIT_flags_checked_only_for_errors_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Pipe
            {
                private const int MSG_DONTWAIT = 0x40;
                private const int MSG_NOSIGNAL = 0x4000;

                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Push(int fd, byte* buf, nint len)
                {
                    if ({|KS0005:send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)|} < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
            """);

    [Fact]
    public Task Native_send_discarded_in_a_lambda_and_a_local_function_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Broadcaster
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void ToAll(int[] fds, byte* buf, nint len)
                {
                    Array.ForEach(fds, fd => {|KS0005:send(fd, buf, len, 0)|});
                    void One(int fd) => {|KS0005:send(fd, buf, len, 0)|};
                    One(fds[0]);
                }
            }
            """);

    // ---------------------------------------------------------------- real code: the self-pipe wake-up

    [Fact]
    public Task Wakeup_byte_written_to_a_pipe_the_type_creates_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class MainLoop
            {
                [DllImport("libc")]
                private static extern int pipe([In, Out] int[] pipes);

                [DllImport("libc")]
                private static extern int write(int fd, IntPtr buf, IntPtr n);

                private readonly int[] wakeupPipes = new int[2];
                private static readonly IntPtr ignore = Marshal.AllocHGlobal(1);

                public void Setup() => pipe(wakeupPipes);

                public void Wakeup()
                {
                    write(wakeupPipes[1], ignore, (IntPtr)1);
                    _ = write(this.wakeupPipes[1], ignore, 1);
                }
            }
            """);

    [Fact]
    public Task Eventfd_sized_signal_written_to_a_local_pipe2_pair_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Waker
            {
                private const int O_NONBLOCK = 0x800;

                [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
                private static extern int CreatePipe(int[] fds, int flags);

                [DllImport("libc", SetLastError = true)]
                private static extern nint write(int fd, void* buf, nuint count);

                public void Signal()
                {
                    var fds = new int[2];
                    _ = CreatePipe(fds, O_NONBLOCK);
                    long one = 1;
                    write(fds[1], &one, sizeof(long));
                    byte b = 1;
                    _ = write(fds[1], &b, 1);
                }
            }
            """);

    [Fact]
    public Task Writes_that_are_not_a_wakeup_of_a_pipe_the_code_creates_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Forwarder
            {
                [DllImport("libc")]
                private static extern int pipe(int[] pipes);

                [DllImport("libc")]
                private static extern nint write(int fd, byte* buf, nint n);

                private static int Fill(int[] fds) => fds.Length;

                private readonly int[] pipes = new int[2];
                private readonly int[] sockets = new int[2];
                private readonly int[] filled = new int[2];

                public Forwarder()
                {
                    pipe(pipes);
                    Fill(filled);
                }

                public void Forward(byte* msg, nint len, int[] given)
                {
                    {|KS0005:write(pipes[1], msg, 80)|};
                    {|KS0005:write(pipes[1], msg, len)|};
                    {|KS0005:write(sockets[1], msg, 1)|};
                    {|KS0005:write(filled[1], msg, 1)|};
                    {|KS0005:write(given[1], msg, 1)|};
                    {|KS0005:write(pipes[1], msg, 0)|};
                }
            }
            """);

    [Fact]
    public Task Eventfd_counter_written_to_wake_a_loop_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Waker
            {
                [DllImport("libc", SetLastError = true)]
                private static extern int eventfd(uint initval, int flags);

                [DllImport("libc", SetLastError = true)]
                private static extern long write(int fd, void* buf, ulong count);

                private readonly int _cancelFd;

                public Waker()
                {
                    _cancelFd = eventfd(0, 0x80800);
                    if (_cancelFd < 0) throw new InvalidOperationException("eventfd");
                }

                public void Wake()
                {
                    ulong one = 1;
                    _ = write(_cancelFd, &one, sizeof(ulong));
                }

                public static void WakeOnce()
                {
                    int fd = (int)eventfd(0, 0);
                    ulong one = 1;
                    write(fd, &one, 8);
                }
            }
            """);

    [Fact]
    public Task Native_write_to_standard_output_or_error_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;
            using System.Text;

            sealed class RawTerminal
            {
                [DllImport("libc")]
                private static extern int write(int fd, byte[] buf, int n);

                private const int StdOut = 1;
                private const int STDERR_FILENO = 2;

                public void Present(string frame)
                {
                    byte[] encoded = Encoding.UTF8.GetBytes(frame);
                    var _ = write(StdOut, encoded, encoded.Length);
                    write(1, encoded, encoded.Length);
                    write(STDERR_FILENO, encoded, encoded.Length);
                }
            }
            """);

    [Fact]
    public Task Native_write_to_a_descriptor_that_is_not_a_standard_stream_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            sealed class Forwarder
            {
                [DllImport("libc")]
                private static extern int write(int fd, byte[] buf, int n);

                private const int Control = 3;
                private readonly int _fd;

                public Forwarder(int fd) => _fd = fd;

                public void Forward(byte[] data)
                {
                    {|#0:write(_fd, data, data.Length)|};
                    {|#1:write(Control, data, data.Length)|};
                }
            }

            sealed class InetdStyle
            {
                [DllImport("libc")]
                private static extern int write(int fd, byte[] buf, int n);

                [DllImport("libc")]
                private static extern int dup2(int oldfd, int newfd);

                // Descriptor 1 is the client's socket here.
                public void Serve(int client, byte[] reply)
                {
                    if (dup2(client, 1) < 0) return;
                    {|#2:write(1, reply, reply.Length)|};
                }
            }
            """,
            VerifyCS.Diagnostic("KS0005").WithLocation(0).WithArguments("write", "discarded: a failure (-1) or a partial send goes unnoticed; check it for -1 and send the rest in a loop"),
            VerifyCS.Diagnostic("KS0005").WithLocation(1).WithArguments("write", "discarded: a failure (-1) or a partial send goes unnoticed; check it for -1 and send the rest in a loop"),
            VerifyCS.Diagnostic("KS0005").WithLocation(2).WithArguments("write", "discarded: a failure (-1) or a partial send goes unnoticed; check it for -1 and send the rest in a loop"));

    [Fact]
    public Task Writes_that_are_not_an_eventfd_signal_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Forwarder
            {
                [DllImport("libc")]
                private static extern int eventfd(uint initval, int flags);

                [DllImport("libc")]
                private static extern int socket(int domain, int type, int protocol);

                [DllImport("libc")]
                private static extern long write(int fd, void* buf, ulong count);

                private static int EventFd(uint initval, int flags) => 3;

                private readonly int _wake = eventfd(0, 0);
                private readonly int _sock = socket(2, 1, 0);
                private readonly int _managed = EventFd(0, 0);

                public void Forward(byte* msg, ulong len)
                {
                    ulong one = 1;
                    {|KS0005:write(_wake, msg, len)|};
                    {|KS0005:write(_wake, msg, 80)|};
                    {|KS0005:write(_sock, &one, 8)|};
                    {|KS0005:write(_managed, &one, 8)|};
                }
            }
            """);

    // ---------------------------------------------------------------- review: fix correctness

    // ---------------------------------------------------------------- datagrams: sendto with a destination

    private const string DatagramInterop = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct SockAddrIn
        {
            public ushort Family;
            public ushort Port;
            public uint Addr;
            public ulong Zero;
        }

        static unsafe class Udp
        {
            public const int MSG_DONTWAIT = 0x40;
            public const int MSG_FASTOPEN = 0x20000000;

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte* buf, nint len, int flags, ref SockAddrIn addr, int addrlen);

            [DllImport("libc", EntryPoint = "sendto", SetLastError = true)]
            public static extern nint SendTo(int fd, byte* buf, nint len, int flags, IntPtr addr, int addrlen);
        }
        """;

    // A datagram is sent whole or not at all: > 0 means sent, and MSG_DONTWAIT cannot split it.
    [Fact]
    public Task Datagram_sendto_tested_for_a_positive_count_or_for_errors_with_MSG_DONTWAIT_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                DatagramInterop,
                """
                using System;
                using System.ComponentModel;
                using System.Runtime.InteropServices;

                unsafe class Beacon
                {
                    public bool Announce(int fd, byte* datagram, nint length, ref SockAddrIn peer)
                        => Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn)) > 0;

                    public void Reply(int fd, byte* datagram, nint length, IntPtr from, int fromLength)
                    {
                        nint n = Udp.SendTo(fd, datagram, length, Udp.MSG_DONTWAIT, from, fromLength);
                        if (n < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        if (Udp.SendTo(fd, datagram, length, 0, from, fromLength) >= 1)
                        {
                            Console.WriteLine("sent");
                        }
                    }
                }
                """,
            ]);

    // Failures still go unnoticed, and the advice is a test for -1, not a loop.
    [Fact]
    public Task Datagram_sendto_discarded_unread_or_compared_with_zero_is_flagged_with_datagram_advice()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                DatagramInterop,
                """
                using System;

                unsafe class Beacon
                {
                    public void Reply(int fd, byte* datagram, nint length, IntPtr from, int fromLength, ref SockAddrIn peer)
                    {
                        {|#0:Udp.SendTo(fd, datagram, length, 0, from, fromLength)|};
                        nint result = {|#1:Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn))|};
                        if ({|#2:Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn))|} != 0)
                        {
                            Console.WriteLine("sent");
                        }
                    }
                }
                """,
            ],
            VerifyCS.Diagnostic("KS0005").WithLocation(0).WithArguments(
                "sendto", "discarded: a failure (-1) goes unnoticed; a datagram is sent whole or not at all, so check it for -1"),
            VerifyCS.Diagnostic("KS0005").WithLocation(1).WithArguments(
                "sendto", "stored in 'result' but never read: a failure (-1) goes unnoticed; a datagram is sent whole or not at all, so check it for -1"),
            VerifyCS.Diagnostic("KS0005").WithLocation(2).WithArguments(
                "sendto", "only compared with 0, so -1 (a failure) passes for success; a datagram is sent whole or not at all, so check it for -1"));

    // Without a destination (null, IntPtr.Zero, a zero length) the socket is connected and may be a stream; with
    // MSG_FASTOPEN it is one. Their sends can be partial, so a positive count is not "all sent".
    [Fact]
    public Task Sendto_without_a_destination_or_with_MSG_FASTOPEN_tested_for_a_positive_count_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            [
                DatagramInterop,
                """
                using System;

                unsafe class Connected
                {
                    public bool Write(int fd, byte* data, nint length, IntPtr peer, int peerLength, ref SockAddrIn server)
                        => {|#0:Udp.SendTo(fd, data, length, 0, IntPtr.Zero, 0)|} > 0
                            && {|#1:Udp.SendTo(fd, data, length, 0, default, 0)|} > 0
                            && {|#2:Udp.SendTo(fd, data, length, 0, peer, 0)|} > 0
                            && {|#3:Udp.sendto(fd, data, length, Udp.MSG_FASTOPEN, ref server, sizeof(SockAddrIn))|} > 0;
                }
                """,
            ],
            VerifyCS.Diagnostic("KS0005").WithLocation(0).WithArguments("sendto", PositiveOnly),
            VerifyCS.Diagnostic("KS0005").WithLocation(1).WithArguments("sendto", PositiveOnly),
            VerifyCS.Diagnostic("KS0005").WithLocation(2).WithArguments("sendto", PositiveOnly),
            VerifyCS.Diagnostic("KS0005").WithLocation(3).WithArguments("sendto", PositiveOnly));

    private const string PositiveOnly = "only tested for a positive count, so a partial send passes for all sent; send the rest in a loop";

    [Fact]
    public Task FailureCheck_tests_a_datagram_for_minus_one_instead_of_sending_the_rest_in_a_loop()
    {
        var test = new VerifyCS.Test
        {
            CodeActionEquivalenceKey = UncheckedSendResultFix.EquivalenceKey,
            TestState =
            {
                Sources =
                {
                    DatagramInterop,
                    """
                    using System;

                    unsafe class Beacon
                    {
                        public void Reply(int fd, byte* datagram, nint length, IntPtr from, int fromLength, ref SockAddrIn peer)
                        {
                            {|KS0005:Udp.SendTo(fd, datagram, length, 0, from, fromLength)|};
                            _ = {|KS0005:Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn))|};
                            nint result = {|KS0005:Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn))|};
                            if (result != 0)
                            {
                                Console.WriteLine("sent");
                            }
                        }

                        public int Forward(int fd, byte* datagram, nint length, ref SockAddrIn peer)
                        {
                            {|KS0005:Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn))|};
                            return 0;
                        }
                    }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    DatagramInterop,
                    """
                    using System;
                    using System.ComponentModel;
                    using System.Runtime.InteropServices;

                    unsafe class Beacon
                    {
                        public void Reply(int fd, byte* datagram, nint length, IntPtr from, int fromLength, ref SockAddrIn peer)
                        {
                            if (Udp.SendTo(fd, datagram, length, 0, from, fromLength) < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }
                            if (Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn)) < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }
                            nint result = Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn));
                            if (result < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }
                            if (result != 0)
                            {
                                Console.WriteLine("sent");
                            }
                        }

                        public int Forward(int fd, byte* datagram, nint length, ref SockAddrIn peer)
                        {
                            if (Udp.sendto(fd, datagram, length, 0, ref peer, sizeof(SockAddrIn)) < 0)
                            {
                                return -1;
                            }
                            return 0;
                        }
                    }
                    """,
                },
            },
        };
        return test.RunAsync();
    }

    [Fact]
    public Task No_SendAll_fix_for_a_send_that_is_not_a_statement_of_a_block()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len, bool ready)
                {
                    if (ready) {|KS0005:send(fd, msg, len, 0)|};
                }

                public void Flush(int fd, byte* msg, nint len) => {|KS0005:send(fd, msg, len, 0)|};
            }
            """,
            """
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public void Write(int fd, byte* msg, nint len, bool ready)
                {
                    if (ready) {|KS0005:send(fd, msg, len, 0)|};
                }

                public void Flush(int fd, byte* msg, nint len) => {|KS0005:send(fd, msg, len, 0)|};
            }
            """);

    [Fact]
    public Task SendAll_throws_in_a_void_lambda_inside_a_method_that_returns_a_count()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public int WriteAll(int[] fds, IntPtr msg, nint len)
                {
                    Action<int> write = fd =>
                    {
                        {|KS0005:send(fd, (byte*)msg, len, 0)|};
                    };
                    Array.ForEach(fds, write);
                    return fds.Length;
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, byte* buf, nint len, int flags);

                public int WriteAll(int[] fds, IntPtr msg, nint len)
                {
                    Action<int> write = fd =>
                    {
                        for (nint sent = 0; sent < len;)
                        {
                            nint n = send(fd, ((byte*)msg) + sent, len - sent, 0);
                            if (n < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }

                            sent += n;
                        }
                    };
                    Array.ForEach(fds, write);
                    return fds.Length;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);

    [Fact]
    public Task SendAll_in_a_checked_async_method_compiles()
        => VerifyCS.VerifyCodeFixAsync(
            """
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, IntPtr buf, nint len, int flags);

                public async Task<int> WriteAsync(int fd, IntPtr msg, int len)
                {
                    await Task.Yield();
                    checked
                    {
                        {|KS0005:send(fd, msg, len, 0)|};
                    }

                    return len;
                }
            }
            """,
            """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            class Device
            {
                [DllImport("libc", SetLastError = true)]
                private static extern nint send(int sockfd, IntPtr buf, nint len, int flags);

                public async Task<int> WriteAsync(int fd, IntPtr msg, int len)
                {
                    await Task.Yield();
                    checked
                    {
                        for (nint sent = 0; sent < len;)
                        {
                            nint n = send(fd, msg + sent, len - sent, 0);
                            if (n < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }

                            sent += n;
                        }
                    }

                    return len;
                }
            }
            """,
            UncheckedSendResultFix.EquivalenceKey);
}
