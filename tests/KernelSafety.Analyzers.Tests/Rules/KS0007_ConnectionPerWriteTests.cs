using KernelSafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpAnalyzerVerifier<KernelSafety.Analyzers.Rules.ConnectionPerWriteAnalyzer>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0007_ConnectionPerWriteTests
{
    // ---------------------------------------------------------------- positives

    [Fact]
    public async Task Seed_socket_created_connected_sent_and_closed_per_write()
    {
        const string source = """
            using System.Net;
            using System.Net.Sockets;

            class Device
            {
                public static void DeviceWrite(byte[] buff, int len)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    {|#0:socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001))|};
                    socket.Send(buff, 0, len, SocketFlags.None);
                    socket.Close();
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("DeviceWrite", "Socket.Connect"));
    }

    [Fact]
    public async Task TcpClient_using_declaration_and_stream_write()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Forwarder
            {
                public void Forward(byte[] data)
                {
                    using var client = new TcpClient();
                    {|KS0007:client.Connect("127.0.0.1", 2001)|};
                    client.GetStream().Write(data, 0, data.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task TcpClient_constructor_connects_inside_a_using_statement()
    {
        const string source = """
            using System.Net.Sockets;

            class Forwarder
            {
                public void Forward(byte[] data)
                {
                    using (var client = {|#0:new TcpClient("127.0.0.1", 2001)|})
                    using (var stream = client.GetStream())
                    {
                        stream.Write(data, 0, data.Length);
                    }
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("Forward", "new TcpClient"));
    }

    [Fact]
    public async Task Text_or_binary_writer_over_the_connection_writes_the_data()
    {
        const string source = """
            using System.IO;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Forwarder
            {
                public void Log(string message)
                {
                    using var client = {|#0:new TcpClient("127.0.0.1", 2001)|};
                    using var writer = new StreamWriter(client.GetStream());
                    writer.WriteLine(message);
                }

                public async Task LogAsync(string message)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await {|#1:socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 2001))|};
                    await using var writer = new StreamWriter(new NetworkStream(socket));
                    await writer.WriteLineAsync("> " + message);
                }

                public void Mail(string host, string body)
                {
                    using var client = {|#3:new TcpClient(host, 25)|};
                    using var writer = new StreamWriter(client.GetStream());
                    writer.WriteLine("HELO " + host);
                    writer.WriteLine(body);
                }

                public void Frame(byte[] payload)
                {
                    using var client = {|#2:new TcpClient("127.0.0.1", 2001)|};
                    using var writer = new BinaryWriter(client.GetStream());
                    writer.Write(payload.Length);
                    writer.Write(payload);
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("Log", "new TcpClient"),
            VerifyCS.Diagnostic("KS0007").WithLocation(1).WithArguments("LogAsync", "Socket.ConnectAsync"),
            VerifyCS.Diagnostic("KS0007").WithLocation(2).WithArguments("Frame", "new TcpClient"),
            VerifyCS.Diagnostic("KS0007").WithLocation(3).WithArguments("Mail", "new TcpClient"));
    }

    [Fact]
    public async Task Writers_not_over_the_connection_or_not_writing_the_data_or_reading_a_reply_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net.Sockets;

            class Forwarder
            {
                public void ToFileToo(string message, string path)
                {
                    using var client = new TcpClient("127.0.0.1", 2001);
                    using var log = new StreamWriter(path);
                    log.WriteLine(message);
                    using var writer = new StreamWriter(client.GetStream());
                    writer.WriteLine("ping");
                }

                public string Ask(string question)
                {
                    using var client = new TcpClient("127.0.0.1", 2001);
                    var stream = client.GetStream();
                    using var writer = new StreamWriter(stream) { AutoFlush = true };
                    using var reader = new StreamReader(stream);
                    writer.WriteLine(question);
                    return reader.ReadLine() ?? "";
                }

                public void Call(string host, int port, byte[] request)
                {
                    using var client = new TcpClient(host, port);
                    using var writer = new BinaryWriter(client.GetStream());
                    using var reader = new BinaryReader(client.GetStream());
                    writer.Write(request);
                    if (reader.ReadInt32() != 0) throw new IOException("rejected");
                }

                public void Helo(string host, int port)
                {
                    using var client = new TcpClient(host, port);
                    using var writer = new StreamWriter(client.GetStream());
                    writer.WriteLine("HELO " + host);
                }

                public static StreamWriter Open(string greeting)
                {
                    var client = new TcpClient("127.0.0.1", 2001);
                    var writer = new StreamWriter(client.GetStream());
                    writer.WriteLine(greeting);
                    return writer;
                }
            }
            """);
    }

    [Fact]
    public async Task Async_connect_and_write_of_memory()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading;
            using System.Threading.Tasks;

            class Forwarder
            {
                public async Task ForwardAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
                {
                    using var client = new TcpClient();
                    await {|KS0007:client.ConnectAsync("127.0.0.1", 2001, ct)|};
                    await using var stream = client.GetStream();
                    await stream.WriteAsync(data, ct);
                }
            }
            """);
    }

    [Fact]
    public async Task String_message_encoded_then_sent()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Text;

            static class Logger
            {
                public static void Log(string message)
                {
                    var bytes = Encoding.UTF8.GetBytes(message + "\n");
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        {|KS0007:socket.Connect(IPAddress.Loopback, 514)|};
                        socket.Send(bytes);
                    }
                    finally
                    {
                        socket.Dispose();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Connection_made_by_a_private_helper_for_every_write()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            // The tenth pass's receipt printer (port 9100): a helper makes and connects the client, the writer uses and
            // closes it, for every receipt.
            public sealed class PerWritePrinter
            {
                private readonly string _host;

                public PerWritePrinter(string host) { _host = host; }

                private async Task<TcpClient> ConnectAsync()
                {
                    var client = new TcpClient();
                    await client.ConnectAsync(_host, 9100);
                    return client;
                }

                public async Task WriteAsync(byte[] bytes)
                {
                    var client = await {|#0:ConnectAsync()|};
                    var stream = client.GetStream();
                    await stream.WriteAsync(bytes, 0, bytes.Length);
                    client.Close();
                }

                private Socket Open()
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001));
                    return socket;
                }

                public void Write(byte[] data)
                {
                    using var socket = {|#1:Open()|};
                    socket.Send(data);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("WriteAsync", "ConnectAsync"),
            VerifyCS.Diagnostic("KS0007").WithLocation(1).WithArguments("Write", "Open"));
    }

    [Fact]
    public async Task Helpers_that_keep_or_share_the_connection_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            public sealed class Printer
            {
                private TcpClient? _client;

                // Kept in a field: the next write reuses it.
                private TcpClient Connected()
                {
                    var client = new TcpClient();
                    client.Connect("127.0.0.1", 9100);
                    _client = client;
                    return client;
                }

                public void Write(byte[] bytes)
                {
                    var client = Connected();
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }

                // Returns a connection it does not make.
                private TcpClient Current() => _client ??= new TcpClient("127.0.0.1", 9100);

                public void WriteCurrent(byte[] bytes)
                {
                    var client = Current();
                    client.GetStream().Write(bytes, 0, bytes.Length);
                    client.Close();
                }

                // Made but not connected by the helper; connected once, many messages sent.
                private Socket Make() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

                public void WriteAll(byte[][] messages)
                {
                    using var socket = Make();
                    socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001));
                    foreach (var message in messages)
                    {
                        socket.Send(message);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Message_built_in_a_memory_stream_then_sent()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.IO.Compression;
            using System.Net;
            using System.Net.Sockets;

            static class Publisher
            {
                // A frame built with a writer over a MemoryStream, sent on a connection made for the call.
                public static void Publish(byte[] payload)
                {
                    var ms = new MemoryStream();
                    using (var w = new BinaryWriter(ms))
                    {
                        w.Write((ushort)payload.Length);
                        w.Write(payload);
                    }

                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    {|#0:socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001))|};
                    socket.Send(ms.ToArray());
                }

                public static void Direct(byte[] payload)
                {
                    using var ms = new MemoryStream();
                    ms.Write(payload, 0, payload.Length);
                    using var client = {|#1:new TcpClient("127.0.0.1", 2001)|};
                    client.GetStream().Write(ms.GetBuffer(), 0, (int)ms.Length);
                }

                public static void Compressed(string text)
                {
                    var ms = new MemoryStream();
                    using (var zip = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
                    using (var writer = new StreamWriter(zip))
                    {
                        writer.Write(text);
                    }

                    using var client = {|#2:new TcpClient("127.0.0.1", 2001)|};
                    client.GetStream().Write(ms.ToArray());
                }
            }
            """,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("Publish", "Socket.Connect"),
            VerifyCS.Diagnostic("KS0007").WithLocation(1).WithArguments("Direct", "new TcpClient"),
            VerifyCS.Diagnostic("KS0007").WithLocation(2).WithArguments("Compressed", "new TcpClient"));
    }

    [Fact]
    public async Task Memory_stream_that_does_not_hold_the_data_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net;
            using System.Net.Sockets;
            using System.Text;

            static class Probe
            {
                // The data goes to a log; what is sent is a fixed probe built in another stream.
                public static void Check(string note, TextWriter log)
                {
                    var audit = new MemoryStream();
                    using (var w = new StreamWriter(audit))
                    {
                        w.Write(note);
                    }

                    var probe = new MemoryStream();
                    probe.Write(Encoding.ASCII.GetBytes("PING\n"));
                    using var client = new TcpClient("127.0.0.1", 2001);
                    client.GetStream().Write(probe.ToArray());
                    log.WriteLine(audit.Length);
                }

                // Data written into a stream the connection is made over is the send itself (a writer over the
                // connection), not a message built for it: one connection for many lines is what the rule asks for.
                public static void Lines(string[] lines)
                {
                    using var client = new TcpClient("127.0.0.1", 2001);
                    using var stream = client.GetStream();
                    using var writer = new StreamWriter(stream);
                    foreach (var line in lines)
                    {
                        writer.WriteLine(line);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Data_copied_into_a_buffer_then_sent()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            static class Device
            {
                static readonly byte[] Msg = new byte[80];

                public static int Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, Msg, 0, Math.Min(len, 80));
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    {|KS0007:socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001))|};
                    return socket.Send(Msg, 0, Math.Min(len, 80), SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Libc_socket_connect_send_close_with_DllImport()
    {
        const string source = """
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
                [DllImport("libc", SetLastError = true)] static extern int connect(int fd, byte* addr, int len);
                [DllImport("libc", SetLastError = true)] static extern nint send(int fd, byte* buf, nuint len, int flags);
                [DllImport("libc", SetLastError = true)] static extern int close(int fd);

                public static void Write(byte* buff, int len, byte* addr)
                {
                    int fd = socket(2, 1, 0);
                    if (fd < 0) return;
                    if ({|#0:connect(fd, addr, 16)|} < 0) { close(fd); return; }
                    send(fd, buff, (nuint)len, 0);
                    close(fd);
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source,
            VerifyCS.Diagnostic("KS0007").WithLocation(0).WithArguments("Write", "connect"));
    }

    [Fact]
    public async Task Libc_calls_through_LibraryImport_with_renamed_methods()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System;
                using System.Runtime.InteropServices;

                static unsafe partial class Native
                {
                    [LibraryImport("libc", EntryPoint = "socket")] private static partial int Open(int domain, int type, int protocol);
                    [LibraryImport("libc", EntryPoint = "connect")] private static partial int Dial(int fd, byte* addr, int len);
                    [LibraryImport("libc", EntryPoint = "send")] private static partial nint Push(int fd, byte* buf, nuint len, int flags);
                    [LibraryImport("libc", EntryPoint = "close")] private static partial int Shut(int fd);

                    public static void Write(ReadOnlySpan<byte> data, byte* addr)
                    {
                        int fd = Open(2, 1, 0);
                        {|KS0007:Dial(fd, addr, 16)|};
                        fixed (byte* p = data)
                        {
                            Push(fd, p, (nuint)data.Length, 0);
                        }

                        Shut(fd);
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task UdpClient_connected_per_datagram()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            static class Metrics
            {
                public static void Publish(byte[] datagram)
                {
                    var udp = new UdpClient();
                    {|KS0007:udp.Connect("127.0.0.1", 8125)|};
                    udp.Send(datagram, datagram.Length);
                    udp.Close();
                }
            }
            """);
    }

    [Fact]
    public async Task Socket_assigned_in_try_and_disposed_with_null_conditional()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            static class Device
            {
                public static void Write(ReadOnlySpan<byte> data)
                {
                    Socket? socket = null;
                    try
                    {
                        socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                        {|KS0007:socket.Connect(IPAddress.Loopback, 2001)|};
                        socket.Send(data);
                    }
                    finally
                    {
                        socket?.Dispose();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Connect_and_send_inside_the_same_retry_loop()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            static class Device
            {
                public static bool Write(byte[] data)
                {
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        try
                        {
                            using var client = new TcpClient();
                            {|KS0007:client.Connect("127.0.0.1", 2001)|};
                            client.GetStream().Write(data);
                            return true;
                        }
                        catch (SocketException)
                        {
                        }
                    }

                    return false;
                }
            }
            """);
    }

    [Fact]
    public async Task Send_returns_the_count_from_a_per_call_connection()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            sealed class Sink
            {
                private readonly IPEndPoint _endPoint = new(IPAddress.Loopback, 2001);

                public async Task<int> WriteAsync(byte[] data)
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await {|KS0007:socket.ConnectAsync(_endPoint)|};
                    return await socket.SendAsync(data, SocketFlags.None);
                }
            }
            """);
    }

    [Fact]
    public async Task Incomplete_code_does_not_crash_the_analyzer()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Net.Sockets;

                static class Broken
                {
                    public static void Write(byte[] data)
                    {
                        using var client = new TcpClient(;
                        client.Connect(;
                        client.GetStream().Write(data, );
                        var s = new Socket();
                        s.Connect(Missing);
                        s.Send(data);
                        s.Close(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- negatives

    [Fact]
    public async Task Socket_kept_in_a_field_and_reused_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            sealed class Device
            {
                private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);

                public void Write(byte[] data)
                {
                    if (!_socket.Connected)
                    {
                        _socket.Connect(IPAddress.Loopback, 2001);
                    }

                    _socket.Send(data);
                }
            }
            """);
    }

    [Fact]
    public async Task Lazily_created_field_connection_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            sealed class Device
            {
                private TcpClient? _client;

                public void Write(byte[] data)
                {
                    if (_client is null)
                    {
                        var client = new TcpClient();
                        client.Connect("127.0.0.1", 2001);
                        _client = client;
                    }

                    _client.GetStream().Write(data);
                }

                public void Close() => _client?.Dispose();
            }
            """);
    }

    [Fact]
    public async Task Method_returning_the_connected_socket_or_stream_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net;
            using System.Net.Sockets;

            static class Connections
            {
                public static Socket Open(string host, byte[] hello)
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(host, 2001);
                    socket.Send(hello);
                    return socket;
                }

                public static Stream OpenStream(string host, byte[] hello)
                {
                    var client = new TcpClient();
                    client.Connect(host, 2001);
                    var stream = client.GetStream();
                    stream.Write(hello);
                    return stream;
                }
            }
            """);
    }

    [Fact]
    public async Task One_shot_Main_without_a_data_parameter_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Text;

            static class Program
            {
                static void Main(string[] args)
                {
                    using var client = new TcpClient();
                    client.Connect("127.0.0.1", 2001);
                    client.GetStream().Write(Encoding.ASCII.GetBytes("hello"));
                }
            }
            """);
    }

    [Fact]
    public async Task Test_methods_and_helpers_that_Main_or_a_test_calls_once_are_not_flagged()
    {
        await new VerifyCS.Test
        {
            TestState = { OutputKind = OutputKind.ConsoleApplication },
            TestCode = """
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Text;

            [AttributeUsage(AttributeTargets.Method)] sealed class TheoryAttribute : Attribute { }
            [AttributeUsage(AttributeTargets.Method)] sealed class FactAttribute : Attribute { }

            static class Program
            {
                static int Main(string[] args)
                {
                    if (args.Length < 3)
                    {
                        return 2;
                    }

                    SendOnce(args[0], int.Parse(args[1]), args[2]);
                    return 0;
                }

                private static void SendOnce(string host, int port, string message)
                {
                    using var client = new TcpClient();
                    client.Connect(host, port);
                    var bytes = Encoding.UTF8.GetBytes(message);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }
            }

            public class ServerTests
            {
                [Theory]
                public void Server_accepts_payload(byte[] payload)
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, 2001);
                    client.GetStream().Write(payload, 0, payload.Length);
                }

                [Fact]
                public void Server_accepts_hello() => Send(Encoding.ASCII.GetBytes("hello"));

                private static void Send(byte[] payload)
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, 2001);
                    client.GetStream().Write(payload, 0, payload.Length);
                }
            }
            """,
        }.RunAsync();
    }

    [Fact]
    public async Task Helpers_that_Main_calls_in_a_loop_or_that_other_code_calls_are_flagged()
    {
        await new VerifyCS.Test
        {
            TestState = { OutputKind = OutputKind.ConsoleApplication },
            TestCode = """
            using System.Net;
            using System.Net.Sockets;
            using System.Text;

            static class Program
            {
                static void Main(string[] args)
                {
                    foreach (var line in args)
                    {
                        SendOne(line);
                    }

                    SendTwo("start");
                    Relay.Forward(Encoding.ASCII.GetBytes("x"));
                }

                private static void SendOne(string message)
                {
                    using var client = new TcpClient();
                    {|KS0007:client.Connect("127.0.0.1", 2001)|};
                    var bytes = Encoding.UTF8.GetBytes(message);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }

                private static void SendTwo(string message)
                {
                    using var client = new TcpClient();
                    {|KS0007:client.Connect("127.0.0.1", 2001)|};
                    var bytes = Encoding.UTF8.GetBytes(message);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }

                public static void OnTick(string message) => SendTwo(message);
            }

            static class Plugin
            {
                // Not the entry point of this library: a host may call it for every message.
                public static void Main(string message) => SendThree(message);

                private static void SendThree(string message)
                {
                    using var client = new TcpClient();
                    {|KS0007:client.Connect("127.0.0.1", 2001)|};
                    var bytes = Encoding.UTF8.GetBytes(message);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }
            }

            static class Relay
            {
                // Public: anyone may call it per write, whatever Main does.
                public static void Forward(byte[] data)
                {
                    using var client = new TcpClient();
                    {|KS0007:client.Connect("127.0.0.1", 2001)|};
                    client.GetStream().Write(data, 0, data.Length);
                }
            }
            """,
        }.RunAsync();
    }

    [Fact]
    public async Task Many_messages_over_one_connection_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Text;

            static class Batch
            {
                public static void SendLines(string text)
                {
                    using var client = new TcpClient();
                    client.Connect("127.0.0.1", 2001);
                    var stream = client.GetStream();
                    foreach (var line in text.Split('\n'))
                    {
                        stream.Write(Encoding.UTF8.GetBytes(line));
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Connect_without_send_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            static class Probe
            {
                public static bool CanReach(string host)
                {
                    try
                    {
                        using var client = new TcpClient();
                        client.Connect(host, 2001);
                        return true;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Fixed_probe_bytes_not_taken_from_the_parameter_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            static class Probe
            {
                private static readonly byte[] Ping = { 0x50, 0x49, 0x4E, 0x47 };

                public static void Check(string host)
                {
                    using var client = new TcpClient();
                    client.Connect(host, 7);
                    client.GetStream().Write(Ping);
                }
            }
            """);
    }

    [Fact]
    public async Task Host_parameter_only_in_the_endpoint_is_not_the_data()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            static class Probe
            {
                private static readonly byte[] Ping = { 1 };

                public static void Check(string host, int port)
                {
                    var endPoint = new IPEndPoint(IPAddress.Parse(host), port);
                    using var socket = new Socket(SocketType.Dgram, ProtocolType.Udp);
                    socket.Connect(endPoint);
                    socket.SendTo(Ping, endPoint);
                }
            }
            """);
    }

    [Fact]
    public async Task Data_sent_over_a_persistent_socket_after_a_local_probe_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            sealed class Device
            {
                private readonly NetworkStream _stream;

                public Device(NetworkStream stream) => _stream = stream;

                public void Write(byte[] data)
                {
                    using (var probe = new TcpClient())
                    {
                        probe.Connect("127.0.0.1", 9);
                    }

                    _stream.Write(data);
                }
            }
            """);
    }

    [Fact]
    public async Task User_types_and_managed_methods_named_like_the_APIs_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class FakeSocket : IDisposable
            {
                public void Connect(string host, int port) { }
                public void Send(byte[] data) { }
                public void Dispose() { }
            }

            static class Native
            {
                static int socket(int d, int t, int p) => 3;
                static int connect(int fd, byte[] addr, int len) => 0;
                static int send(int fd, byte[] buf, int len, int flags) => len;
                static int close(int fd) => 0;

                public static void Write(byte[] data, byte[] addr)
                {
                    using (var fake = new FakeSocket())
                    {
                        fake.Connect("127.0.0.1", 2001);
                        fake.Send(data);
                    }

                    int fd = socket(2, 1, 0);
                    connect(fd, addr, 16);
                    send(fd, data, data.Length, 0);
                    close(fd);
                }
            }
            """);
    }

    [Fact]
    public async Task Connection_closed_elsewhere_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Net.Sockets;

            sealed class Pool
            {
                private readonly List<TcpClient> _open = new();

                public void Write(byte[] data)
                {
                    var client = new TcpClient();
                    client.Connect("127.0.0.1", 2001);
                    client.GetStream().Write(data);
                    _open.Add(client);
                }
            }
            """);
    }

    [Fact]
    public async Task Connect_in_a_deferred_lambda_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            static class Deferred
            {
                public static Action Prepare(byte[] data)
                {
                    return () =>
                    {
                        using var client = new TcpClient();
                        client.Connect("127.0.0.1", 2001);
                        client.GetStream().Write(data);
                    };
                }
            }
            """);
    }

    [Fact]
    public async Task Native_descriptor_returned_to_the_caller_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] static extern int socket(int domain, int type, int protocol);
                [DllImport("libc")] static extern int connect(int fd, byte* addr, int len);
                [DllImport("libc")] static extern nint send(int fd, byte* buf, nuint len, int flags);
                [DllImport("libc")] static extern int close(int fd);

                public static int Open(byte* hello, byte* addr)
                {
                    int fd = socket(2, 1, 0);
                    if (connect(fd, addr, 16) < 0)
                    {
                        close(fd);
                        return -1;
                    }

                    send(fd, hello, 5, 0);
                    return fd;
                }
            }
            """);
    }

    // ---------------------------------------------------------------- review: look-alikes

    [Fact]
    public async Task Handshake_sent_on_a_connection_that_is_returned_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            static class Dialer
            {
                public static async Task<Stream> OpenAsync(string host, int port, byte[] hello)
                {
                    var client = new TcpClient();
                    try
                    {
                        await client.ConnectAsync(host, port);
                        var stream = client.GetStream();
                        await stream.WriteAsync(hello);
                        return stream;
                    }
                    catch
                    {
                        client.Dispose();
                        throw;
                    }
                }

                public static Socket Open(string host, int port, byte[] hello)
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        socket.Connect(host, port);
                        socket.Send(hello);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }

                    return socket;
                }
            }
            """);
    }

    [Fact]
    public async Task Health_probe_that_connects_and_closes_without_data_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            static class Health
            {
                public static async Task<bool> IsUpAsync(string host, int port, string serviceName)
                {
                    try
                    {
                        using var client = new TcpClient();
                        await client.ConnectAsync(host, port).WaitAsync(TimeSpan.FromSeconds(2));
                        Console.WriteLine($"{serviceName} is up");
                        return client.Connected;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                }

                public static bool IsUp(string host, int port)
                {
                    using var probe = new TcpClient(host, port);
                    return probe.Connected;
                }
            }
            """);
    }

    [Fact]
    public async Task Udp_datagrams_sent_without_connect_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            static class Beacon
            {
                public static void Announce(byte[] payload, IPEndPoint target)
                {
                    using var udp = new UdpClient();
                    udp.Send(payload, payload.Length, target);
                }

                public static void AnnounceRaw(byte[] payload, IPEndPoint target)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    socket.SendTo(payload, target);
                }
            }
            """);
    }

    [Fact]
    public async Task Connection_taken_from_and_returned_to_a_pool_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Net;
            using System.Net.Sockets;

            sealed class ConnectionPool
            {
                private readonly ConcurrentBag<Socket> _idle = new();
                private readonly IPEndPoint _endPoint;
                private int _count;

                public ConnectionPool(IPEndPoint endPoint) => _endPoint = endPoint;

                public void Send(byte[] data)
                {
                    if (!_idle.TryTake(out var socket))
                    {
                        socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                        socket.Connect(_endPoint);
                    }

                    socket.Send(data);
                    _idle.Add(socket);
                }

                public void SendBounded(byte[] data)
                {
                    var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(_endPoint);
                    socket.Send(data);
                    if (_count < 8)
                    {
                        _idle.Add(socket);
                        _count++;
                    }
                    else
                    {
                        socket.Dispose();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Reconnect_after_a_failed_send_that_keeps_the_new_connection_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            sealed class Sink
            {
                private readonly IPEndPoint _endPoint;
                private Socket _socket;

                public Sink(IPEndPoint endPoint)
                {
                    _endPoint = endPoint;
                    _socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    _socket.Connect(endPoint);
                }

                public void Write(byte[] data)
                {
                    try
                    {
                        _socket.Send(data);
                    }
                    catch (SocketException)
                    {
                        _socket.Dispose();
                        var fresh = new Socket(SocketType.Stream, ProtocolType.Tcp);
                        fresh.Connect(_endPoint);
                        fresh.Send(data);
                        _socket = fresh;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task One_shot_program_sending_its_arguments_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Text;

            static class Program
            {
                public static void Main(string[] args)
                {
                    using var client = new TcpClient();
                    client.Connect(args[0], 2001);
                    var bytes = Encoding.UTF8.GetBytes(args[1]);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task Top_level_program_sending_its_arguments_is_not_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
                Sources =
                {
                    """
                    using System.Net.Sockets;
                    using System.Text;

                    using var client = new TcpClient();
                    client.Connect("127.0.0.1", 2001);
                    var bytes = Encoding.UTF8.GetBytes(args[0]);
                    client.GetStream().Write(bytes, 0, bytes.Length);
                    client.Close();
                    """,
                },
            },
        };
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- review: positives

    [Fact]
    public async Task Local_function_of_a_top_level_program_connecting_per_message_is_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
                Sources =
                {
                    """
                    using System.Net.Sockets;

                    foreach (var line in System.IO.File.ReadLines("log.txt"))
                    {
                        Send(System.Text.Encoding.UTF8.GetBytes(line));
                    }

                    static void Send(byte[] data)
                    {
                        using var client = new TcpClient();
                        {|KS0007:client.Connect("127.0.0.1", 2001)|};
                        client.GetStream().Write(data, 0, data.Length);
                    }
                    """,
                },
            },
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Async_socket_connect_send_and_shutdown_per_message_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class MetricsSink
            {
                private readonly EndPoint _endPoint = new IPEndPoint(IPAddress.Loopback, 8125);

                public async Task PublishAsync(ReadOnlyMemory<byte> metric, CancellationToken cancellationToken)
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await {|KS0007:socket.ConnectAsync(_endPoint, cancellationToken)|};
                    await socket.SendAsync(metric, SocketFlags.None, cancellationToken);
                    socket.Shutdown(SocketShutdown.Both);
                }
            }
            """);
    }

    [Fact]
    public async Task Local_function_connecting_per_message_inside_a_method_is_flagged_once()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Net.Sockets;

            static class Shipper
            {
                public static void ShipAll(IEnumerable<byte[]> batches, byte[] trailer)
                {
                    foreach (var batch in batches)
                    {
                        Ship(batch);
                    }

                    Ship(trailer);

                    static void Ship(byte[] data)
                    {
                        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                        {|KS0007:socket.Connect("collector", 9000)|};
                        socket.Send(data);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Request_response_exchanges_that_read_the_reply_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;
            using System.Text;

            static class Queries
            {
                public static string Whois(string domain)
                {
                    using var client = new TcpClient();
                    client.Connect("whois.example", 43);
                    var stream = client.GetStream();
                    var query = Encoding.ASCII.GetBytes(domain + "\r\n");
                    stream.Write(query, 0, query.Length);
                    return new StreamReader(stream).ReadToEnd();
                }

                public static int Ask(byte[] request, byte[] reply)
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect("localhost", 7000);
                    socket.Send(request);
                    return socket.Receive(reply);
                }

                [DllImport("libc", SetLastError = true)] private static extern int socket(int domain, int type, int protocol);
                [DllImport("libc", SetLastError = true)] private static extern int connect(int fd, byte[] address, int length);
                [DllImport("libc", SetLastError = true)] private static extern nint send(int fd, byte[] buffer, nint length, int flags);
                [DllImport("libc", SetLastError = true)] private static extern nint recv(int fd, byte[] buffer, nint length, int flags);
                [DllImport("libc")] private static extern int close(int fd);

                public static nint NativeAsk(byte[] request, byte[] address, byte[] reply)
                {
                    int fd = socket(2, 1, 0);
                    if (fd < 0) return -1;
                    if (connect(fd, address, address.Length) < 0) { close(fd); return -1; }
                    nint sent = send(fd, request, request.Length, 0);
                    nint got = sent < 0 ? -1 : recv(fd, reply, reply.Length, 0);
                    close(fd);
                    return got;
                }
            }
            """);
    }

    [Fact]
    public async Task Local_function_that_returns_its_connection_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            static class Shipper
            {
                public static void Ship(byte[] data)
                {
                    using var socket = Open(data.Length);
                    socket.Send(data);

                    static Socket Open(int size)
                    {
                        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = size };
                        socket.Connect("collector", 9000);
                        return socket;
                    }
                }
            }
            """);
    }
}
