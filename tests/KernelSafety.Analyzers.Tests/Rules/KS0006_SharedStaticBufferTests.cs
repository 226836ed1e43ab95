using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.SharedStaticBufferAnalyzer,
    KernelSafety.CodeFixes.Fixes.SharedStaticBufferFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0006_SharedStaticBufferTests
{
    // ---------------------------------------------------------------- positives

    [Fact]
    public async Task Seed_static_buffer_filled_by_BlockCopy_then_sent()
    {
        const string source = """
            using System;
            using System.Net.Sockets;

            class Device
            {
                private static byte[] {|#0:msg|} = new byte[80];

                public static void Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    socket.Send(msg, 0, len, SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyAnalyzerAsync(source,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("msg", "Write"));
    }

    [Fact]
    public async Task Buffer_filled_by_a_random_generator_instance_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Security.Cryptography;

            static class Cookies
            {
                static readonly RandomNumberGenerator Rng = RandomNumberGenerator.Create();
                static readonly Random Weak = new Random();
                static readonly byte[] {|#0:s_cookie|} = new byte[4];
                static readonly byte[] {|#1:s_salt|} = new byte[16];
                static readonly byte[] {|#2:s_noise|} = new byte[8];

                public static uint Cookie()
                {
                    Rng.GetBytes(s_cookie);
                    return BitConverter.ToUInt32(s_cookie, 0);
                }

                public static byte[] Salt()
                {
                    Rng.GetNonZeroBytes(s_salt);
                    return (byte[])s_salt.Clone();
                }

                public static long Noise()
                {
                    Weak.NextBytes(s_noise);
                    return BitConverter.ToInt64(s_noise, 0);
                }
            }

            // A method of that name on another type says nothing about what it writes.
            sealed class Dice
            {
                public void NextBytes(byte[] buffer) { }
                public void GetBytes(byte[] data) { }
            }

            static class Table
            {
                static readonly Dice s_dice = new Dice();
                static readonly byte[] s_faces = { 1, 2, 3, 4, 5, 6 };

                public static int Roll()
                {
                    s_dice.NextBytes(s_faces);
                    s_dice.GetBytes(s_faces);
                    return s_faces[0];
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_cookie", "Cookie"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_salt", "Salt"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_noise", "Noise"));
    }

    [Fact]
    public async Task Array_Copy_destination()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Frames
            {
                static byte[] {|KS0006:s_frame|} = new byte[64];

                public static byte[] Build(byte[] payload)
                {
                    Array.Copy(payload, s_frame, Math.Min(payload.Length, 64));
                    return (byte[])s_frame.Clone();
                }
            }
            """);
    }

    [Fact]
    public async Task Element_assignment_and_increment()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            static class Histogram
            {
                static readonly int[] {|KS0006:Counts|} = new int[256];

                public static void Add(byte value) => Counts[value]++;
            }

            static class Header
            {
                static byte[] {|KS0006:header|} = new byte[4];

                public static byte[] Stamp(byte kind)
                {
                    header[0] = kind;
                    return header;
                }
            }
            """);
    }

    [Fact]
    public async Task Stream_Read_and_Socket_Receive_destination()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Net.Sockets;

            static class Reader
            {
                static byte[] {|KS0006:readBuffer|} = new byte[4096];
                static byte[] {|KS0006:receiveBuffer|} = new byte[1500];

                public static int Pump(Stream stream) => stream.Read(readBuffer, 0, readBuffer.Length);

                public static int Poll(Socket socket) => socket.Receive(receiveBuffer);

                public static int Head => readBuffer[0] + receiveBuffer[0];
            }
            """);
    }

    [Fact]
    public async Task Encoding_GetBytes_and_Marshal_Copy_destination()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Text;

            static class Text
            {
                static byte[] {|KS0006:utf8|} = new byte[256];
                static byte[] {|KS0006:native|} = new byte[256];

                public static int Encode(string s) => Encoding.UTF8.GetBytes(s, 0, s.Length, utf8, 0);

                public static void Fetch(IntPtr p) => Marshal.Copy(p, native, 0, 256);
            }
            """);
    }

    [Fact]
    public async Task Span_over_the_buffer_filled_cleared_or_copied_into()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Spans
            {
                static byte[] {|KS0006:a|} = new byte[16];
                static byte[] {|KS0006:b|} = new byte[16];
                static byte[] {|KS0006:c|} = new byte[16];
                static char[] {|KS0006:d|} = new char[16];

                public static void Run(ReadOnlySpan<byte> src, int value)
                {
                    a.AsSpan().Fill(0xFF);
                    b.AsSpan(4, 8).Clear();
                    src.CopyTo(c);
                    value.TryFormat(d, out _);
                }
            }
            """);
    }

    [Fact]
    public async Task Memory_field_written_through_its_span_and_by_ReadAsync()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Pump
            {
                static Memory<byte> {|KS0006:s_memory|} = new byte[512];
                static Memory<byte> {|KS0006:s_scratch|} = new byte[512];

                public static ValueTask<int> ReadAsync(Stream stream) => stream.ReadAsync(s_memory);

                public static void Mark() => s_scratch.Span[0] = 1;

                public static int Head => s_memory.Span[0] + s_scratch.Span[0];
            }
            """);
    }

    [Fact]
    public async Task BinaryPrimitives_write_into_a_slice()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Buffers.Binary;

            static class Packet
            {
                static byte[] {|KS0006:packet|} = new byte[8];

                public static byte[] Encode(int id)
                {
                    BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), id);
                    return packet;
                }
            }
            """);
    }

    [Fact]
    public async Task Libc_read_and_memcpy_destination()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc", EntryPoint = "read")]
                static extern nint Read(int fd, byte[] buf, nuint count);

                [DllImport("libc")]
                static extern void* memcpy(byte[] dest, byte* src, nuint n);

                static byte[] {|KS0006:input|} = new byte[128];
                static byte[] {|KS0006:copy|} = new byte[128];

                public static nint Pull(int fd) => Read(fd, input, 128);

                public static void Take(byte* p) => memcpy(copy, p, 128);

                public static int Head => input[0] + copy[0];
            }
            """);
    }

    [Fact]
    public async Task Written_through_a_local_span_or_array_alias()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            static class Aliases
            {
                static byte[] {|KS0006:frame|} = new byte[64];
                static byte[] {|KS0006:chunk|} = new byte[64];

                public static void Stamp(int id)
                {
                    Span<byte> span = frame;
                    var header = span.Slice(0, 4);
                    header[0] = (byte)id;
                }

                public static int Pull(Stream stream)
                {
                    var buffer = chunk;
                    return stream.Read(buffer, 0, buffer.Length);
                }
            }
            """);
    }

    [Fact]
    public async Task Write_in_a_lambda_inside_a_lock_is_not_under_the_lock()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Deferred
            {
                static readonly object Gate = new();
                static byte[] {|KS0006:buffer|} = new byte[8];

                public static Action Later(byte b)
                {
                    lock (Gate)
                    {
                        return () => buffer[0] = b;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Written_from_a_nested_type_and_from_an_instance_method()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            class Outer
            {
                private static byte[] {|KS0006:shared|} = new byte[32];

                public void Reset() => System.Array.Clear(shared);

                class Inner
                {
                    public void Poke() => shared[1] = 2;
                }
            }
            """);
    }

    [Fact]
    public async Task Written_only_from_a_nested_type()
    {
        // The only write is in the nested type's member (two levels down): the declaring type's own operation callbacks
        // never see it, so the nested types pass their operations on.
        await VerifyCS.VerifyAnalyzerAsync("""
            class Outer
            {
                private static byte[] {|KS0006:shared|} = new byte[32];

                public static byte First => shared[0];

                class Inner
                {
                    public void Poke() => shared[1] = 2;

                    class Innermost
                    {
                        public void Clear() => System.Array.Clear(shared);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Private_helper_of_the_static_constructor_also_called_from_a_nested_type_is_flagged()
    {
        // Reset looks like initialization until the nested type's call to it is counted.
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Table
            {
                static readonly byte[] {|KS0006:Values|} = new byte[16];

                static Table() => Reset();

                static void Reset() => Array.Fill(Values, (byte)1);

                public static byte Get(int i) => Values[i];

                public sealed class Refresher
                {
                    public void Refresh() => Reset();
                }
            }
            """);
    }

    [Fact]
    public async Task Nested_type_that_only_reads_or_writes_under_a_lock_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Table
            {
                private static readonly object Gate = new();
                static readonly byte[] Values = new byte[16];

                static Table() => Reset();

                static void Reset() => Array.Fill(Values, (byte)1);

                public sealed class Reader
                {
                    public byte Get(int i) => Values[i];

                    public void Set(int i, byte value)
                    {
                        lock (Gate)
                        {
                            Values[i] = value;
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Field_of_a_partial_type_written_in_another_part()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    partial class Channel
                    {
                        static byte[] {|KS0006:frame|} = new byte[10];
                    }
                    """,
                    """
                    partial class Channel
                    {
                        public static void Put(byte b) => frame[0] = b;
                    }
                    """,
                },
            },
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Lookup_table_written_once_in_an_unusual_form_is_flagged()
    {
        // Every other use is plainly a read; the one write is a deconstruction, an increment before the element or an
        // out argument. An Interlocked update through ref is atomic: the type is still analyzed, and stays quiet.
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Threading;

            static class Stats
            {
                static readonly int[] {|KS0006:Pair|} = { 0, 0 };
                static readonly int[] {|KS0006:Hits|} = new int[4];
                static readonly int[] {|KS0006:Parsed|} = new int[1];
                static readonly long[] Totals = new long[4];

                public static int First => Pair[0] + Pair.Length + Parsed[0];
                public static int Read(int i) => Hits[i % Hits.Length] + (int)Totals[i];

                public static void Swap() => (Pair[0], Pair[1]) = (Pair[1], Pair[0]);
                public static void Hit(int i) => ++Hits[i & 3];
                public static bool Parse(string s) => int.TryParse(s, out Parsed[0]);
                public static void Add(int i, long n) => Interlocked.Add(ref Totals[i & 3], n);
            }
            """);
    }

    // ---------------------------------------------------------------- negatives

    [Fact]
    public async Task Private_buffer_that_input_is_only_read_into_to_be_skipped_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            static class StreamSkip
            {
                private static readonly byte[] SkipBuffer = new byte[4096];
                private static byte[]? s_discard;

                public static long Skip(this Stream stream, long count)
                {
                    long skipped = 0;
                    int n;
                    while (count > 0 && (n = stream.Read(SkipBuffer, 0, (int)Math.Min(count, SkipBuffer.Length))) > 0)
                    {
                        count -= n;
                        skipped += n;
                    }

                    return skipped;
                }

                public static async Task<int> SkipAsync(Stream stream, int count)
                    => await stream.ReadAsync(SkipBuffer.AsMemory(0, Math.Min(count, SkipBuffer.Length)));

                public static int Drain(Socket socket)
                {
                    s_discard ??= new byte[1500];
                    return socket.Receive(s_discard.AsSpan(0, s_discard.Length));
                }
            }
            """);
    }

    [Fact]
    public async Task Skip_buffer_whose_bytes_are_looked_at_or_that_other_types_can_read_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            static class StreamSkip
            {
                private static readonly byte[] {|KS0006:SkipBuffer|} = new byte[4096];
                internal static readonly byte[] {|KS0006:SharedSkip|} = new byte[4096];

                public static int Skip(Stream stream, int count)
                {
                    int n = stream.Read(SkipBuffer, 0, Math.Min(count, SkipBuffer.Length));
                    return n > 0 && SkipBuffer[0] == 0x1f ? -1 : n;
                }

                public static int SkipShared(Stream stream, int count)
                    => stream.Read(SharedSkip, 0, Math.Min(count, SharedSkip.Length));
            }
            """);
    }

    [Fact]
    public Task Buffer_written_only_by_the_programs_entry_point_is_not_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            static class Program
            {
                static readonly byte[] s_packet = new byte[2048];

                static void Main()
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    Fill(socket);
                    Console.WriteLine(BitConverter.ToString(s_packet, 0, 16));
                }

                private static void Fill(Socket socket)
                {
                    int n = socket.Receive(s_packet);
                    Array.Clear(s_packet, n, s_packet.Length - n);
                }
            }
            """);

    [Fact]
    public Task Buffer_also_written_by_a_thread_the_entry_point_starts_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Threading;

            static class Program
            {
                static readonly byte[] {|KS0006:s_frame|} = new byte[64];

                static void Main()
                {
                    new Thread(Worker).Start();
                    s_frame[0] = 1;
                    Console.WriteLine(s_frame[1]);
                }

                private static void Worker() => s_frame[1] = 2;
            }
            """);

    [Fact]
    public async Task Method_named_Main_in_a_library_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Tool
            {
                static readonly byte[] {|KS0006:s_frame|} = new byte[64];

                public static void Main(string[] args)
                {
                    s_frame[0] = (byte)args.Length;
                    Console.WriteLine(s_frame[0]);
                }
            }
            """);
    }

    // ------------------------------------------------ one writer thread by construction

    [Fact]
    public Task Buffer_written_only_by_one_thread_the_entry_point_starts_is_not_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Collections.Generic;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;
            using System.Threading.Tasks;

            static class Program
            {
                private static readonly byte[] s_recv = new byte[1024];
                private static readonly byte[] s_status = new byte[16];
                private static readonly byte[] s_log = new byte[64];
                private static readonly byte[] s_pump = new byte[256];
                private static readonly Queue<byte[]> s_queue = new Queue<byte[]>();
                private static Socket s_sock = null!;

                static void Main()
                {
                    s_sock = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    s_sock.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    new Thread(ReceiveLoop) { IsBackground = true }.Start();
                    Task.Run(Status);
                    StartLogger(9);
                    new Thread(() =>
                    {
                        while (true)
                        {
                            int n = s_sock.Receive(s_pump);
                            Console.WriteLine(s_pump[0] + n);
                        }
                    }).Start();
                }

                private static void StartLogger(int port) => new Thread(() => Log(port)).Start();

                private static void ReceiveLoop()
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    while (true)
                    {
                        int n = s_sock.ReceiveFrom(s_recv, ref from);
                        lock (s_queue)
                        {
                            s_queue.Enqueue(s_recv.AsSpan(0, n).ToArray());
                        }
                    }
                }

                private static void Status()
                {
                    s_status[0] = 1;
                    Console.WriteLine(s_status[0]);
                }

                private static void Log(int port)
                {
                    Fill(port);
                    Console.WriteLine(s_log[0]);
                }

                private static void Fill(int port) => s_log[0] = (byte)port;
            }
            """);

    [Fact]
    public Task Thread_method_that_may_run_twice_or_next_to_another_writer_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            static class Program
            {
                private static readonly byte[] {|#0:s_looped|} = new byte[16];
                private static readonly byte[] {|#1:s_twice|} = new byte[16];
                private static readonly byte[] {|#2:s_public|} = new byte[16];
                private static readonly byte[] {|#3:s_two|} = new byte[16];
                private static readonly byte[] {|#4:s_lambda|} = new byte[16];
                private static readonly byte[] {|#5:s_inline|} = new byte[16];

                static void Main()
                {
                    Task.Run(() => s_inline[0] = 1);
                    s_inline[1] = 2;
                    for (int i = 0; i < 4; i++)
                    {
                        new Thread(Looped).Start();
                    }

                    new Thread(Twice).Start();
                    Task.Run(Twice);
                    new Thread(First).Start();
                    new Thread(Second).Start();
                    Parallel.For(0, 4, i => new Thread(() => Lambda(i)).Start());
                }

                public static void StartMore() => new Thread(Public).Start();

                private static void Looped() => s_looped[0] = 1;
                private static void Twice() => s_twice[0] = 1;
                private static void Public() => s_public[0] = 1;
                private static void First() => s_two[0] = 1;
                private static void Second() => s_two[1] = 1;
                private static void Lambda(int i) => s_lambda[0] = (byte)i;

                static void Use() => Console.WriteLine(s_looped[0] + s_twice[0] + s_public[0] + s_two[0] + s_lambda[0] + s_inline[0]);
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_looped", "Looped"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_twice", "Twice"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_public", "Public"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_two", "First"),
            VerifyCS.Diagnostic("KS0006").WithLocation(4).WithArguments("s_lambda", "Lambda"),
            VerifyCS.Diagnostic("KS0006").WithLocation(5).WithArguments("s_inline", "Main"));

    [Fact]
    public async Task Thread_started_once_behind_a_static_flag_is_not_flagged()
    {
        // A public constructor or Start method that starts the one listener thread behind a static flag: the flag lets it
        // start once, however many instances there are.
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading;
            using System.Threading.Tasks;

            public class Listener
            {
                private static readonly byte[] s_listen = new byte[1024];
                private static readonly byte[] s_pump = new byte[256];
                private static readonly byte[] s_claimed = new byte[64];
                private static readonly byte[] s_cas = new byte[64];
                private static bool Once;
                private static bool s_running;
                private static int s_claim;
                private static int s_started;
                private static Socket s_sock = null!;

                public Listener(Socket socket)
                {
                    s_sock = socket;
                    if (!Once)
                    {
                        Once = true;
                        new Thread(Listen) { IsBackground = true }.Start();
                    }
                }

                public static void StartPump()
                {
                    if (s_running) return;
                    s_running = true;
                    new Thread(() =>
                    {
                        while (true)
                        {
                            int n = s_sock.Receive(s_pump);
                            Console.WriteLine(s_pump[0] + n);
                        }
                    }).Start();
                }

                public static void StartClaimed()
                {
                    if (Interlocked.Exchange(ref s_claim, 1) == 0)
                    {
                        Task.Run(Claimed);
                    }
                }

                public static void StartCas()
                {
                    if (Interlocked.CompareExchange(ref s_started, 1, 0) != 0)
                    {
                        return;
                    }

                    new Thread(Cas).Start();
                }

                private static void Listen()
                {
                    while (true)
                    {
                        int n = s_sock.Receive(s_listen);
                        Console.WriteLine(s_listen[0] + n);
                    }
                }

                private static void Claimed()
                {
                    s_claimed[0] = 1;
                    Console.WriteLine(s_claimed[0]);
                }

                private static void Cas()
                {
                    s_cas[0] = 1;
                    Console.WriteLine(s_cas[0]);
                }
            }

            public class LockedListener
            {
                private static readonly byte[] s_locked = new byte[64];
                private static readonly object s_gate = new object();
                private static bool s_started;

                static LockedListener() => s_started = false;

                // Tested and set under a lock, started after it; the static constructor's store runs first.
                public LockedListener()
                {
                    lock (s_gate) { if (s_started) return; s_started = true; }
                    new Thread(Loop).Start();
                }

                private static void Loop()
                {
                    s_locked[0] = 1;
                    Console.WriteLine(s_locked[0]);
                }
            }
            """);
    }

    [Fact]
    public async Task Thread_behind_a_flag_that_does_not_keep_it_to_one_start_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;

            public class Workers
            {
                private static readonly byte[] {|#0:s_instance|} = new byte[16];
                private static readonly byte[] {|#1:s_never_set|} = new byte[16];
                private static readonly byte[] {|#2:s_cleared|} = new byte[16];
                private static readonly byte[] {|#3:s_set_after|} = new byte[16];
                private static readonly byte[] {|#4:s_wrong_way|} = new byte[16];
                private static readonly byte[] {|#5:s_other_writer|} = new byte[16];
                private static readonly byte[] {|#6:s_maybe_set|} = new byte[16];
                private static readonly byte[] {|#7:s_public_flag|} = new byte[16];
                private static readonly byte[] {|#8:s_tuple|} = new byte[16];
                private static readonly byte[] {|#9:s_by_ref|} = new byte[16];
                private static readonly byte[] {|#10:s_per_thread|} = new byte[16];
                private static bool s_tupled;
                private static bool s_referenced;
                [ThreadStatic] private static bool t_started;
                private bool _started;
                private static bool s_maybe;
                internal static bool PublicStarted;
                private static bool s_never;
                private static bool s_restartable;
                private static bool s_late;
                private static bool s_inverted;
                private static bool s_other;

                // An instance flag: every instance starts its own thread.
                public void StartInstance()
                {
                    if (!_started) { _started = true; new Thread(Instance).Start(); }
                }

                // Tested but never set.
                public static void StartNeverSet()
                {
                    if (!s_never) new Thread(NeverSet).Start();
                }

                // Cleared by Stop: a new thread may start while the old one still runs.
                public static void StartCleared()
                {
                    if (s_restartable) return;
                    s_restartable = true;
                    new Thread(Cleared).Start();
                }

                public static void Stop() => s_restartable = false;

                // Set only after the start, in another statement: the early return does not guard it.
                public static void StartSetAfter()
                {
                    if (s_late) return;
                    new Thread(SetAfter).Start();
                    s_late = true;
                }

                // The start runs while the flag is set.
                public static void StartWrongWay()
                {
                    if (s_inverted) { new Thread(WrongWay).Start(); }
                    s_inverted = true;
                }

                // One thread behind the flag, but a public method writes the buffer too.
                public static void StartOther()
                {
                    if (!s_other) { s_other = true; new Thread(Other).Start(); }
                }

                public static void Poke() => s_other_writer[1] = 2;

                // The flag is set only on one branch: a second call may start another thread.
                public static void StartMaybe(bool remember)
                {
                    if (!s_maybe) { if (remember) s_maybe = true; new Thread(MaybeSet).Start(); }
                }

                // Cleared by a deconstruction, or through a ref local.
                public static void StartTuple()
                {
                    if (!s_tupled) { s_tupled = true; new Thread(Tuple).Start(); }
                }

                public static void ResetTuple() => (s_tupled, _) = (false, 0);

                public static void StartByRef()
                {
                    if (!s_referenced) { s_referenced = true; new Thread(ByRef).Start(); }
                }

                public static void ResetByRef()
                {
                    ref bool flag = ref s_referenced;
                    flag = false;
                }

                // One flag per thread: every calling thread starts its own.
                public static void StartPerThread()
                {
                    if (!t_started) { t_started = true; new Thread(PerThread).Start(); }
                }

                // Another type can clear an internal flag.
                public static void StartPublicFlag()
                {
                    if (!PublicStarted) { PublicStarted = true; new Thread(PublicFlag).Start(); }
                }

                private void Instance() { s_instance[0] = 1; Console.WriteLine(s_instance[0]); }
                private static void NeverSet() { s_never_set[0] = 1; Console.WriteLine(s_never_set[0]); }
                private static void Cleared() { s_cleared[0] = 1; Console.WriteLine(s_cleared[0]); }
                private static void SetAfter() { s_set_after[0] = 1; Console.WriteLine(s_set_after[0]); }
                private static void WrongWay() { s_wrong_way[0] = 1; Console.WriteLine(s_wrong_way[0]); }
                private static void Other() { s_other_writer[0] = 1; Console.WriteLine(s_other_writer[0]); }
                private static void MaybeSet() { s_maybe_set[0] = 1; Console.WriteLine(s_maybe_set[0]); }
                private static void PublicFlag() { s_public_flag[0] = 1; Console.WriteLine(s_public_flag[0]); }
                private static void Tuple() { s_tuple[0] = 1; Console.WriteLine(s_tuple[0]); }
                private static void ByRef() { s_by_ref[0] = 1; Console.WriteLine(s_by_ref[0]); }
                private static void PerThread() { s_per_thread[0] = 1; Console.WriteLine(s_per_thread[0]); }
            }

            public static class Resetter
            {
                public static void Reset() => Workers.PublicStarted = false;
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_instance", "Instance"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_never_set", "NeverSet"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_cleared", "Cleared"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_set_after", "SetAfter"),
            VerifyCS.Diagnostic("KS0006").WithLocation(4).WithArguments("s_wrong_way", "WrongWay"),
            VerifyCS.Diagnostic("KS0006").WithLocation(5).WithArguments("s_other_writer", "Poke"),
            VerifyCS.Diagnostic("KS0006").WithLocation(6).WithArguments("s_maybe_set", "MaybeSet"),
            VerifyCS.Diagnostic("KS0006").WithLocation(7).WithArguments("s_public_flag", "PublicFlag"),
            VerifyCS.Diagnostic("KS0006").WithLocation(8).WithArguments("s_tuple", "Tuple"),
            VerifyCS.Diagnostic("KS0006").WithLocation(9).WithArguments("s_by_ref", "ByRef"),
            VerifyCS.Diagnostic("KS0006").WithLocation(10).WithArguments("s_per_thread", "PerThread"));
    }

    [Fact]
    public async Task Buffer_of_one_chained_receive_that_re_arms_at_its_end_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            public static class ChainedReceiver
            {
                private static Socket _sock = null!;
                private static readonly byte[] s_buf = new byte[4096];
                private static readonly Socket s_pose = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static float[] s_pos = new float[3];
                public static float X, Y, Z;

                public static void Start(Socket connected)
                {
                    _sock = connected;
                    _sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, null);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    int n = _sock.EndReceive(ar);
                    if (n <= 0) return;
                    Console.WriteLine(BitConverter.ToString(s_buf, 0, n));
                    _sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, null);
                }

                public static void Arm()
                {
                    var rx = new byte[12];
                    s_pose.BeginReceive(rx, 0, rx.Length, SocketFlags.None, OnPose, rx);
                }

                private static void OnPose(IAsyncResult ar)
                {
                    int n = s_pose.EndReceive(ar);
                    if (n == 12)
                    {
                        s_pos = new float[3];
                        Buffer.BlockCopy((byte[])ar.AsyncState!, 0, s_pos, 0, 12);
                        X = s_pos[0]; Y = s_pos[1]; Z = s_pos[2];
                    }

                    Arm();
                }

                private static TcpClient s_client = new TcpClient();
                private static readonly byte[] s_text = new byte[256];

                private static NetworkStream Stream => s_client.GetStream();

                public static void Connect() => s_client.BeginConnect("127.0.0.1", 9999, new AsyncCallback(OnConnect), null);

                private static void OnConnect(IAsyncResult ar)
                {
                    s_client.EndConnect(ar);
                    Stream.BeginRead(s_text, 0, s_text.Length, new AsyncCallback(OnRead), null);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    int n = Stream.EndRead(ar);
                    Console.WriteLine(System.Text.Encoding.UTF8.GetString(s_text, 0, n));
                    Array.Clear(s_text, 0, s_text.Length);
                    Stream.BeginRead(s_text, 0, s_text.Length, new AsyncCallback(OnRead), null);
                }
            }
            """);
    }

    [Fact]
    public async Task Callback_that_may_overlap_itself_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            public class Receivers
            {
                private static readonly Socket s_early = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static readonly Socket s_once = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static readonly Socket s_helper = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private readonly Socket _own = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static readonly byte[] {|#0:s_early_buf|} = new byte[64];
                private static readonly byte[] {|#1:s_once_buf|} = new byte[64];
                private static readonly byte[] {|#2:s_own_buf|} = new byte[64];
                private static readonly byte[] {|#3:s_helper_buf|} = new byte[64];

                // Re-armed before the buffer is looked at: the next receive fills it meanwhile.
                public static void StartEarly() => s_early.BeginReceive(s_early_buf, 0, 64, SocketFlags.None, OnEarly, null);

                private static void OnEarly(IAsyncResult ar)
                {
                    int n = s_early.EndReceive(ar);
                    s_early.BeginReceive(s_early_buf, 0, 64, SocketFlags.None, OnEarly, null);
                    Console.WriteLine(s_early_buf[0] + n);
                }

                // Never re-armed: every call of Receive starts another one.
                public static void ReceiveOnce() => s_once.BeginReceive(new byte[1], 0, 1, SocketFlags.None, OnOnce, null);

                private static void OnOnce(IAsyncResult ar)
                {
                    s_once.EndReceive(ar);
                    s_once_buf[0] = 1;
                    Console.WriteLine(s_once_buf[0]);
                }

                // One socket per instance: each instance runs its own chain over the one static buffer.
                public void StartOwn() => _own.BeginReceive(s_own_buf, 0, 64, SocketFlags.None, OnOwn, null);

                private void OnOwn(IAsyncResult ar)
                {
                    Console.WriteLine(s_own_buf[0] + _own.EndReceive(ar));
                    _own.BeginReceive(s_own_buf, 0, 64, SocketFlags.None, OnOwn, null);
                }

                // Re-armed first, then a helper of the type writes the buffer.
                public static void StartHelper() => s_helper.BeginReceive(new byte[1], 0, 1, SocketFlags.None, OnHelper, null);

                private static void OnHelper(IAsyncResult ar)
                {
                    s_helper.EndReceive(ar);
                    StartHelper();
                    Fill();
                }

                private static void Fill()
                {
                    s_helper_buf[0] = 1;
                    Console.WriteLine(s_helper_buf[0]);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_early_buf", "StartEarly"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_once_buf", "OnOnce"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_own_buf", "StartOwn"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_helper_buf", "Fill"));
    }

    [Fact]
    public async Task Buffer_touched_only_by_Unity_messages_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            namespace UnityEngine { public class Object { } public class Component : Object { } public class Behaviour : Component { } public class MonoBehaviour : Behaviour { } }

            public class CubeSync : UnityEngine.MonoBehaviour
            {
                private static readonly byte[] s_recv = new byte[512];
                private static Socket s_udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                private static EndPoint s_from = new IPEndPoint(IPAddress.Any, 0);
                public float X;

                void Update()
                {
                    if (s_udp.Available > 0 && s_udp.ReceiveFrom(s_recv, ref s_from) >= 4)
                        X = System.BitConverter.ToSingle(s_recv, 0);
                }

                void FixedUpdate() => Decode();

                private void Decode() => s_recv[0] = 0;
            }
            """);
    }

    [Fact]
    public async Task Update_outside_a_MonoBehaviour_or_a_Unity_buffer_also_written_by_a_thread_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Threading;

            namespace UnityEngine { public class MonoBehaviour { } }
            namespace Game { public class MonoBehaviour { } }

            public class NotUnity : Game.MonoBehaviour
            {
                private static readonly byte[] {|#0:s_recv|} = new byte[512];
                public Socket Udp = null!;

                void Update() => System.Console.WriteLine(Udp.Receive(s_recv) + s_recv[0]);
            }

            public class Receiver : UnityEngine.MonoBehaviour
            {
                private static readonly byte[] {|#1:s_frame|} = new byte[512];
                public Socket Udp = null!;

                void Start() => new Thread(ReceiveLoop).Start();

                void Update() => s_frame[0] = 0;

                private void ReceiveLoop()
                {
                    while (true)
                    {
                        System.Console.WriteLine(Udp.Receive(s_frame) + s_frame[1]);
                    }
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_recv", "Update"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_frame", "Update"));
    }

    [Fact]
    public async Task Chain_started_every_frame_or_a_one_thread_buffer_read_on_another_thread_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading;

            namespace UnityEngine { public class MonoBehaviour { } }

            public class Client : UnityEngine.MonoBehaviour
            {
                private static Socket s_client = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static readonly byte[] {|#0:s_recv|} = new byte[25];
                private static float[] {|#1:s_pos|} = new float[3];
                private static readonly byte[] {|#2:s_send|} = new byte[25];
                public float X;

                // A new receive into the one buffer every frame: many are pending at once.
                void Update()
                {
                    s_client.BeginReceive(s_recv, 0, s_recv.Length, SocketFlags.None, OnReceive, null);
                    Buffer.BlockCopy(new float[] { X, X, X }, 0, s_send, 0, 12);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    if (s_client.EndReceive(ar) == 25)
                    {
                        s_pos = new float[3];
                        Buffer.BlockCopy(s_recv, 0, s_pos, 0, 12);
                        Console.WriteLine(s_pos[0]);
                        s_client.Send(s_send);
                    }

                    s_client.BeginReceive(s_recv, 0, s_recv.Length, SocketFlags.None, OnReceive, null);
                }
            }

            public static class Sampler
            {
                private static readonly byte[] {|#3:s_sample|} = new byte[8];

                static Sampler() => new Thread(Loop).Start();

                private static void Loop()
                {
                    while (true)
                    {
                        s_sample[0]++;
                    }
                }

                public static byte Latest() => s_sample[0];
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_recv", "Update"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_pos", "OnReceive"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_send", "Update"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_sample", "Loop"));
    }

    [Fact]
    public Task Buffer_the_entry_point_fills_for_the_threads_it_starts_is_not_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Threading;

            static class Program
            {
                private static readonly byte[] s_key = new byte[32];

                static void Main(string[] args)
                {
                    Random.Shared.NextBytes(s_key.AsSpan());
                    s_key[0] = (byte)args.Length;
                    for (int i = 0; i < 4; i++)
                    {
                        new Thread(Serve).Start();
                    }
                }

                private static void Serve() => Console.WriteLine(s_key[0]);
            }
            """);

    [Fact]
    public async Task Chain_whose_callback_calls_a_helper_that_touches_no_buffer_after_its_re_arm_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Text;

            public static class GameCache
            {
                private static readonly object s_gate = new object();
                private static readonly byte[] s_receive = new byte[1024];
                private static TcpClient s_client = new TcpClient();
                private static string s_latest = "";

                public static void Start() => s_client.GetStream().BeginRead(s_receive, 0, 1024, OnRead, null);

                private static void OnRead(IAsyncResult ar)
                {
                    int n = s_client.GetStream().EndRead(ar);
                    if (n <= 0) return;
                    string message = Encoding.UTF8.GetString(s_receive, 0, n);
                    s_client.GetStream().BeginRead(s_receive, 0, 1024, OnRead, null);
                    lock (s_gate)
                    {
                        UpdateData(message);
                    }
                }

                private static void UpdateData(string message)
                {
                    s_latest = message.Trim();
                    Log(s_latest);
                }

                private static void Log(string text) => Console.WriteLine(text);
            }
            """);
    }

    [Fact]
    public async Task Chain_whose_callback_calls_a_helper_that_reaches_the_buffer_after_its_re_arm_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            public static class Relay
            {
                private static readonly byte[] {|#0:s_receive|} = new byte[1024];
                private static readonly byte[] {|#1:s_other|} = new byte[1024];
                private static Socket s_sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static Socket s_side = new Socket(SocketType.Stream, ProtocolType.Tcp);

                public static void Start() => s_sock.BeginReceive(s_receive, 0, 1024, SocketFlags.None, OnReceive, null);

                private static void OnReceive(IAsyncResult ar)
                {
                    int n = s_sock.EndReceive(ar);
                    s_sock.BeginReceive(s_receive, 0, 1024, SocketFlags.None, OnReceive, null);
                    Report(n);
                }

                // Two calls down, a helper reads the buffer the next receive is filling.
                private static void Report(int n) => Dump(n);

                private static void Dump(int n) => Console.WriteLine(BitConverter.ToString(s_receive, 0, n));

                public static void StartSide() => s_side.BeginReceive(s_other, 0, 1024, SocketFlags.None, OnSide, null);

                private static void OnSide(IAsyncResult ar)
                {
                    Console.WriteLine(s_other[0] + s_side.EndReceive(ar));
                    s_side.BeginReceive(s_other, 0, 1024, SocketFlags.None, OnSide, null);
                    Arm();
                }

                // A helper that arms the chain a second time (a zero-byte wait): two receives pend into one buffer.
                private static void Arm() => s_side.BeginReceive(Array.Empty<byte>(), 0, 0, SocketFlags.None, OnSide, null);
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_receive", "Start"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_other", "StartSide"));
    }

    [Fact]
    public async Task Buffer_of_a_Unity_coroutine_started_from_a_public_handler_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Collections;
            using System.Net.Sockets;

            namespace UnityEngine
            {
                public class Coroutine { }
                public class MonoBehaviour { public Coroutine StartCoroutine(IEnumerator routine) => null!; }
            }

            public class LobbyClient : UnityEngine.MonoBehaviour
            {
                private static readonly byte[] s_buf = new byte[512];
                private static Socket s_sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
                public UnityEngine.MonoBehaviour Runner = null!;

                public void OnConnectClicked() => StartCoroutine(Handshake());

                public void OnRetryClicked() => Runner.StartCoroutine(Handshake());

                private IEnumerator Handshake()
                {
                    int n = s_sock.Receive(s_buf);
                    System.Console.WriteLine(s_buf[0] + n);
                    yield return null;
                }

                private void Update()
                {
                    if (s_sock.Available > 0)
                        System.Console.WriteLine(s_sock.Receive(s_buf) + s_buf[0]);
                }
            }
            """);
    }

    [Fact]
    public async Task Coroutine_look_alikes_are_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Collections;
            using System.Net.Sockets;

            namespace UnityEngine
            {
                public class Coroutine { }
                public class MonoBehaviour { public Coroutine StartCoroutine(IEnumerator routine) => null!; }
            }

            namespace Game
            {
                public class Scheduler { public void StartCoroutine(IEnumerator routine) { } }
            }

            public class Client : UnityEngine.MonoBehaviour
            {
                private static readonly byte[] {|#0:s_eager|} = new byte[512];
                private static readonly byte[] {|#1:s_walked|} = new byte[512];
                private static readonly byte[] {|#2:s_other|} = new byte[512];
                private static Socket s_sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
                public Game.Scheduler Scheduler = null!;

                // Not an iterator: its body runs where it is called, on the public caller's thread.
                public void Connect() => StartCoroutine(Eager());

                private IEnumerator Eager()
                {
                    s_sock.Receive(s_eager);
                    return new object[] { s_eager[0] }.GetEnumerator();
                }

                // Also walked by a public method, on its caller's thread.
                public void Retry() => StartCoroutine(Walked());

                public int Drain()
                {
                    int count = 0;
                    var walk = Walked();
                    while (walk.MoveNext()) count++;
                    return count;
                }

                private IEnumerator Walked()
                {
                    s_sock.Receive(s_walked);
                    yield return s_walked[0];
                }

                // Another scheduler's StartCoroutine: not Unity's main thread.
                public void Queue() => Scheduler.StartCoroutine(Other());

                private IEnumerator Other()
                {
                    s_sock.Receive(s_other);
                    yield return s_other[0];
                }

                private void Update() => s_sock.Receive(s_other);
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_eager", "Eager"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_walked", "Walked"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_other", "Other"));
    }

    [Fact]
    public async Task Chain_started_after_replacing_the_buffer_ended_in_a_catch_or_on_a_clients_stream_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Text;

            static class Feed
            {
                static NetworkStream s_stream = null!;
                static byte[] s_buf = new byte[1];

                public static void Open(TcpClient client)
                {
                    s_buf = new byte[512];
                    s_stream = client.GetStream();
                    s_stream.BeginRead(s_buf, 0, s_buf.Length, OnRead, null);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    int n = s_stream.EndRead(ar);
                    if (n <= 0) return;
                    Console.WriteLine(BitConverter.ToString(s_buf, 0, n));
                    s_stream.BeginRead(s_buf, 0, s_buf.Length, OnRead, null);
                }
            }

            static class Client
            {
                static Socket s_sock = null!;
                static readonly byte[] s_buf = new byte[1024];

                public static void Start(Socket connected)
                {
                    s_sock = connected;
                    s_sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, null);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    try
                    {
                        int n = s_sock.EndReceive(ar);
                        if (n <= 0) { Disconnect(); return; }
                        Console.Write(Encoding.UTF8.GetString(s_buf, 0, n));
                        s_sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, null);
                    }
                    catch (SocketException)
                    {
                        Disconnect();
                    }
                }

                private static void Disconnect() => s_sock.Close();
            }

            static class Ticker
            {
                static TcpClient s_client = null!;
                static readonly byte[] s_buf = new byte[1024];

                public static void Start()
                {
                    s_client = new TcpClient("127.0.0.1", 8000);
                    s_client.GetStream().BeginRead(s_buf, 0, s_buf.Length, OnRead, null);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    int n = s_client.GetStream().EndRead(ar);
                    if (n <= 0) return;
                    string text = Encoding.ASCII.GetString(s_buf, 0, n);
                    s_client.GetStream().BeginRead(s_buf, 0, s_buf.Length, OnRead, null);
                    Console.WriteLine(text);
                }
            }

            static class Carrier
            {
                static Socket s_sock = null!;
                static readonly byte[] s_buf = new byte[1024];
                static TcpClient s_client = null!;
                static readonly byte[] s_text = new byte[1024];

                public static void Start(Socket connected, TcpClient client)
                {
                    s_sock = connected;
                    s_sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, s_sock);
                    s_client = client;
                    s_client.GetStream().BeginRead(s_text, 0, 1024, new AsyncCallback(OnRead), s_client);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    int n = sock.EndReceive(ar);
                    if (n <= 0) return;
                    Console.Write(Encoding.UTF8.GetString(s_buf, 0, n));
                    sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, sock);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    var client = (TcpClient)ar.AsyncState!;
                    int n = client.GetStream().EndRead(ar);
                    Console.Write(Encoding.UTF8.GetString(s_text, 0, n));
                    client.GetStream().BeginRead(s_text, 0, 1024, new AsyncCallback(OnRead), client);
                }
            }
            """);
    }

    [Fact]
    public async Task Chain_started_by_a_connect_completion_on_the_socket_it_carries_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            static class Client
            {
                static Socket s_sock = null!;
                static readonly byte[] s_buf = new byte[1024];

                public static void Connect()
                {
                    s_sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    s_sock.BeginConnect("127.0.0.1", 9000, OnConnect, s_sock);
                }

                private static void OnConnect(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    sock.EndConnect(ar);
                    sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, sock);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    var sock = ar.AsyncState as Socket;
                    int n = sock!.EndReceive(ar);
                    if (n <= 0) return;
                    s_count += n;
                    Split();
                    sock.BeginReceive(s_buf, s_count, s_buf.Length - s_count, SocketFlags.None, OnReceive, sock);
                }

                static int s_count;

                // Takes one length-prefixed message off the front, then calls itself for the next: on the chain's thread.
                private static void Split()
                {
                    if (s_count < 2 || s_count < 2 + s_buf[0]) return;
                    Console.WriteLine(BitConverter.ToString(s_buf, 2, s_buf[0]));
                    int used = 2 + s_buf[0];
                    Array.Copy(s_buf, used, s_buf, 0, s_count - used);
                    s_count -= used;
                    Split();
                }
            }
            """);
    }

    [Fact]
    public async Task Chain_started_by_a_completion_whose_state_is_not_one_static_socket_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            static class Client
            {
                static Socket s_a = null!;
                static Socket s_b = null!;
                static readonly byte[] {|#0:s_two|} = new byte[1024];
                static readonly byte[] {|#1:s_direct|} = new byte[1024];

                // Two sockets connect, each completion starts a chain into the one buffer.
                public static void ConnectBoth()
                {
                    s_a.BeginConnect("127.0.0.1", 9000, OnConnect, s_a);
                    s_b.BeginConnect("127.0.0.1", 9001, OnConnect, s_b);
                }

                private static void OnConnect(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    sock.EndConnect(ar);
                    sock.BeginReceive(s_two, 0, s_two.Length, SocketFlags.None, OnReceive, sock);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_two[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_two, 0, s_two.Length, SocketFlags.None, OnReceive, sock);
                }

                // The completion is public: other code may call it with any result.
                public static void ConnectA() => s_a.BeginConnect("127.0.0.1", 9000, OnConnectA, s_a);

                public static void OnConnectA(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    sock.BeginReceive(s_direct, 0, s_direct.Length, SocketFlags.None, OnDirect, sock);
                }

                private static void OnDirect(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_direct[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_direct, 0, s_direct.Length, SocketFlags.None, OnDirect, sock);
                }

                // The completion is also called by hand, with any result.
                static readonly byte[] {|#3:s_hand|} = new byte[1024];

                public static void ConnectH() => s_a.BeginConnect("127.0.0.1", 9003, OnConnectH, s_a);

                public static void Resume(IAsyncResult ar) => OnConnectH(ar);

                private static void OnConnectH(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    sock.BeginReceive(s_hand, 0, s_hand.Length, SocketFlags.None, OnHand, sock);
                }

                private static void OnHand(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_hand[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_hand, 0, s_hand.Length, SocketFlags.None, OnHand, sock);
                }

                static Socket s_c = null!;
                static readonly byte[] {|#2:s_split|} = new byte[1024];

                public static void ConnectC() => s_c.BeginConnect("127.0.0.1", 9002, OnConnectC, s_c);

                private static void OnConnectC(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    sock.BeginReceive(s_split, 0, s_split.Length, SocketFlags.None, OnSplit, sock);
                }

                private static void OnSplit(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Split(sock.EndReceive(ar));
                    sock.BeginReceive(s_split, 0, s_split.Length, SocketFlags.None, OnSplit, sock);
                }

                // Calls itself, but a public method calls it too, on any thread.
                public static void Flush() => Split(0);

                private static void Split(int n)
                {
                    if (n <= 1) return;
                    Array.Copy(s_split, 1, s_split, 0, n - 1);
                    Split(n - 1);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_two", "OnConnect"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_direct", "OnConnectA"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_split", "OnConnectC"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_hand", "OnConnectH"));
    }

    [Fact]
    public async Task Chain_carried_in_AsyncState_from_a_socket_per_client_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            namespace UnityEngine { public class MonoBehaviour { } }

            static class Server
            {
                static Socket s_listener = null!;
                static readonly byte[] {|#0:s_buf|} = new byte[1024];
                static readonly byte[] {|#1:s_other|} = new byte[1024];
                static Socket s_sock = null!;

                // The accept is re-armed: every client gets a chain into the one buffer.
                private static void OnAccept(IAsyncResult ar)
                {
                    Socket client = s_listener.EndAccept(ar);
                    s_listener.BeginAccept(OnAccept, null);
                    client.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, client);
                }

                private static void OnReceive(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    int n = sock.EndReceive(ar);
                    Console.WriteLine(s_buf[0] + n);
                    sock.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, OnReceive, sock);
                }

                // The state is not the socket the chain started on.
                public static void Start(Socket connected, Socket other)
                {
                    s_sock = connected;
                    s_sock.BeginReceive(s_other, 0, s_other.Length, SocketFlags.None, OnOther, other);
                }

                private static void OnOther(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_other[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_other, 0, s_other.Length, SocketFlags.None, OnOther, sock);
                }

                public static void Listen() => s_listener.BeginAccept(OnAccept, null);
            }

            static class Accepts
            {
                static Socket s_listener = null!;
                static readonly byte[] {|#2:s_looped|} = new byte[64];
                static readonly byte[] {|#3:s_twice|} = new byte[64];
                static readonly byte[] {|#4:s_public|} = new byte[64];
                static readonly byte[] {|#5:s_other_socket|} = new byte[64];
                static readonly byte[] {|#6:s_not_passed|} = new byte[64];
                static Socket s_sock = null!;

                // Four accepts pending: four clients.
                public static void ListenLooped()
                {
                    for (int i = 0; i < 4; i++) s_listener.BeginAccept(OnLooped, null);
                }

                private static void OnLooped(IAsyncResult ar)
                {
                    var client = s_listener.EndAccept(ar);
                    client.BeginReceive(s_looped, 0, 64, SocketFlags.None, OnLoopedData, client);
                }

                private static void OnLoopedData(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_looped[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_looped, 0, 64, SocketFlags.None, OnLoopedData, sock);
                }

                // Two calls name the completion.
                public static void ListenTwice()
                {
                    s_listener.BeginAccept(OnTwice, null);
                    s_listener.BeginAccept(OnTwice, null);
                }

                private static void OnTwice(IAsyncResult ar)
                {
                    var client = s_listener.EndAccept(ar);
                    client.BeginReceive(s_twice, 0, 64, SocketFlags.None, OnTwiceData, client);
                }

                private static void OnTwiceData(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_twice[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_twice, 0, 64, SocketFlags.None, OnTwiceData, sock);
                }

                // The completion is public: other code may call it with any result.
                public static void ListenPublic() => s_listener.BeginAccept(OnPublic, null);

                public static void OnPublic(IAsyncResult ar)
                {
                    var client = s_listener.EndAccept(ar);
                    client.BeginReceive(s_public, 0, 64, SocketFlags.None, OnPublicData, client);
                }

                private static void OnPublicData(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_public[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_public, 0, 64, SocketFlags.None, OnPublicData, sock);
                }

                // The receive is not on a socket the completion accepts.
                public static void ListenOther() => s_listener.BeginAccept(OnOtherSocket, null);

                private static void OnOtherSocket(IAsyncResult ar)
                {
                    var other = s_pool.Take(ar);
                    other.BeginReceive(s_other_socket, 0, 64, SocketFlags.None, OnOtherData, other);
                }

                static readonly Pool s_pool = new();

                sealed class Pool
                {
                    public Socket Take(IAsyncResult ar) => (Socket)ar.AsyncState!;
                }

                private static void OnOtherData(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_other_socket[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_other_socket, 0, 64, SocketFlags.None, OnOtherData, sock);
                }

                // The accepted socket is not passed on as the state.
                public static void ListenNotPassed() => s_listener.BeginAccept(OnNotPassed, null);

                private static void OnNotPassed(IAsyncResult ar)
                {
                    s_sock = s_listener.EndAccept(ar);
                    var client = s_sock;
                    client.BeginReceive(s_not_passed, 0, 64, SocketFlags.None, OnNotPassedData, null);
                }

                private static void OnNotPassedData(IAsyncResult ar)
                {
                    Console.WriteLine(s_not_passed[0] + s_sock.EndReceive(ar));
                    s_sock.BeginReceive(s_not_passed, 0, 64, SocketFlags.None, OnNotPassedData, null);
                }
            }

            // An accept started every frame.
            public class Host : UnityEngine.MonoBehaviour
            {
                static Socket s_listener = null!;
                static readonly byte[] {|#7:s_frame|} = new byte[64];

                void Update() => s_listener.BeginAccept(OnAccept, null);

                private static void OnAccept(IAsyncResult ar)
                {
                    Socket client = s_listener.EndAccept(ar);
                    client.BeginReceive(s_frame, 0, 64, SocketFlags.None, OnData, client);
                }

                private static void OnData(IAsyncResult ar)
                {
                    var sock = (Socket)ar.AsyncState!;
                    Console.WriteLine(s_frame[0] + sock.EndReceive(ar));
                    sock.BeginReceive(s_frame, 0, 64, SocketFlags.None, OnData, sock);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_buf", "OnAccept"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_other", "Start"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_looped", "OnLooped"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_twice", "OnTwice"),
            VerifyCS.Diagnostic("KS0006").WithLocation(4).WithArguments("s_public", "OnPublic"),
            VerifyCS.Diagnostic("KS0006").WithLocation(5).WithArguments("s_other_socket", "OnOtherSocket"),
            VerifyCS.Diagnostic("KS0006").WithLocation(6).WithArguments("s_not_passed", "OnNotPassed"),
            VerifyCS.Diagnostic("KS0006").WithLocation(7).WithArguments("s_frame", "OnAccept"));
    }

    [Fact]
    public async Task Chain_of_the_one_client_an_accept_that_is_not_re_armed_serves_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            namespace UnityEngine { public class MonoBehaviour { } }

            // One client: the accept is made once, from Unity's Start, and never re-armed.
            public class Host : UnityEngine.MonoBehaviour
            {
                static Socket s_listener = null!;
                static Socket s_client = null!;
                static readonly byte[] s_buf = new byte[512];
                static float[] s_pos = new float[3];

                void Start()
                {
                    s_listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    s_listener.Bind(new IPEndPoint(IPAddress.Loopback, 8888));
                    s_listener.Listen(1);
                    s_listener.BeginAccept(new AsyncCallback(OnAccept), null);
                }

                private static void OnAccept(IAsyncResult ar)
                {
                    Socket client = s_listener.EndAccept(ar);
                    client.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, new AsyncCallback(OnReceive), client);
                }

                // Re-armed on the socket it got back as its state, kept in a static field.
                private static void OnReceive(IAsyncResult ar)
                {
                    s_client = (Socket)ar.AsyncState!;
                    int n = s_client.EndReceive(ar);
                    if (n == 12)
                    {
                        s_pos = new float[3];
                        Buffer.BlockCopy(s_buf, 0, s_pos, 0, 12);
                    }

                    s_client.BeginReceive(s_buf, 0, s_buf.Length, SocketFlags.None, new AsyncCallback(OnReceive), s_client);
                }
            }

            // The same from a public method, with a TcpListener and the accepted client's stream.
            static class Server
            {
                static TcpListener s_listener = null!;
                static readonly byte[] s_data = new byte[1024];

                public static void Run()
                {
                    s_listener = new TcpListener(IPAddress.Loopback, 9000);
                    s_listener.Start();
                    s_listener.BeginAcceptTcpClient(OnAccept, null);
                }

                private static void OnAccept(IAsyncResult ar)
                {
                    var client = s_listener.EndAcceptTcpClient(ar);
                    client.GetStream().BeginRead(s_data, 0, s_data.Length, OnRead, client);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    var client = (TcpClient)ar.AsyncState!;
                    int n = client.GetStream().EndRead(ar);
                    if (n <= 0) return;
                    Console.WriteLine(s_data[0]);
                    client.GetStream().BeginRead(s_data, 0, s_data.Length, OnRead, client);
                }
            }
            """);
    }

    [Fact]
    public Task Lambda_thread_per_client_started_by_the_entry_point_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            static class EchoServer
            {
                static readonly byte[] {|#0:s_buf|} = new byte[1024];

                static void Main()
                {
                    var listener = new TcpListener(IPAddress.Loopback, 7000);
                    listener.Start();
                    while (true)
                    {
                        TcpClient client = listener.AcceptTcpClient();
                        new Thread(() =>
                        {
                            int n;
                            while ((n = client.GetStream().Read(s_buf, 0, s_buf.Length)) > 0)
                                Console.WriteLine(s_buf[0] + n);
                        }).Start();
                    }
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_buf", "Main"));

    [Fact]
    public Task Lambda_thread_per_client_of_a_thread_the_entry_point_starts_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            static class ChatServer
            {
                static readonly byte[] {|#0:s_buf|} = new byte[512];
                static TcpListener s_listener = null!;

                static void Main()
                {
                    s_listener = new TcpListener(IPAddress.Any, 8000);
                    s_listener.Start();
                    new Thread(AcceptLoop).Start();
                    Console.ReadLine();
                }

                private static void AcceptLoop()
                {
                    while (true)
                    {
                        Socket client = s_listener.AcceptSocket();
                        new Thread(() =>
                        {
                            int n;
                            while ((n = client.Receive(s_buf)) > 0)
                                Console.WriteLine(s_buf[0] + n);
                        }).Start();
                    }
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_buf", "AcceptLoop"));

    [Fact]
    public Task Entry_point_that_keeps_writing_after_starting_a_reader_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net.Sockets;
            using System.Text;
            using System.Threading;

            static class Telemetry
            {
                static readonly byte[] {|#0:s_frame|} = new byte[64];
                static UdpClient s_udp = new UdpClient();

                static void Main()
                {
                    new Thread(SendLoop) { IsBackground = true }.Start();
                    while (true)
                    {
                        string line = Console.ReadLine() ?? "";
                        Array.Clear(s_frame, 0, s_frame.Length);
                        Encoding.ASCII.GetBytes(line, 0, Math.Min(line.Length, 64), s_frame, 0);
                    }
                }

                private static void SendLoop()
                {
                    while (true)
                    {
                        s_udp.Send(s_frame, s_frame.Length, "127.0.0.1", 9999);
                        Thread.Sleep(100);
                    }
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_frame", "Main"));

    [Fact]
    public Task Timer_callback_and_work_item_lambdas_are_other_threads_than_their_method()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net.Sockets;
            using System.Text;
            using System.Threading;

            static class Poller
            {
                static readonly byte[] {|#0:s_reply|} = new byte[256];
                static readonly byte[] {|#1:s_feed|} = new byte[4096];
                static Socket s_sock = null!;
                static NetworkStream s_stream = null!;

                static void Main()
                {
                    s_sock = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    s_stream = new TcpClient("127.0.0.1", 9100).GetStream();
                    s_stream.BeginRead(s_feed, 0, s_feed.Length, OnRead, null);
                    using var timer = new Timer(_ => Poll(), null, 0, 50);
                    while (true) Poll();
                }

                private static void Poll()
                {
                    int n = s_sock.Receive(s_reply);
                    Console.WriteLine(BitConverter.ToString(s_reply, 0, n));
                }

                private static void OnRead(IAsyncResult ar)
                {
                    int n = s_stream.EndRead(ar);
                    if (n <= 0) return;
                    ThreadPool.QueueUserWorkItem(_ => Console.WriteLine(Encoding.UTF8.GetString(s_feed, 0, n)));
                    s_stream.BeginRead(s_feed, 0, s_feed.Length, OnRead, null);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_reply", "Poll"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_feed", "Main"));

    [Fact]
    public async Task Chain_whose_callback_is_held_in_a_private_AsyncCallback_field_is_not_flagged()
    {
        // The shape of an early UDP server loop: the callback is made once, kept in a field, and every receive passes the
        // field; the callback re-arms as the last thing it does with the buffer.
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            public class UdpLoop
            {
                private static readonly byte[] RecvBuffer = new byte[4096];
                private static Socket Server = null!;
                private static EndPoint epSender = null!;
                private static AsyncCallback ReceivedData = null!;
                public static int Last;

                public void Start(int port)
                {
                    Server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    Server.Bind(new IPEndPoint(IPAddress.Any, port));
                    epSender = new IPEndPoint(IPAddress.Any, 0);
                    ReceivedData = new AsyncCallback(this.OnReceivedData);
                    Server.BeginReceiveFrom(RecvBuffer, 0, RecvBuffer.Length, SocketFlags.None, ref epSender, ReceivedData, null);
                }

                private void OnReceivedData(IAsyncResult result)
                {
                    int numBytes = Server.EndReceiveFrom(result, ref epSender);
                    Last = RecvBuffer[0] + numBytes;
                    RecvBuffer[1] = 0;
                    Server.BeginReceiveFrom(RecvBuffer, 0, RecvBuffer.Length, SocketFlags.None, ref epSender, ReceivedData, null);
                }
            }

            public static class StreamLoop
            {
                private static readonly AsyncCallback s_onRead = OnRead;
                private static readonly byte[] s_feed = new byte[512];
                private static NetworkStream s_stream = null!;

                public static void Start(NetworkStream stream)
                {
                    s_stream = stream;
                    s_stream.BeginRead(s_feed, 0, s_feed.Length, s_onRead, null);
                }

                private static void OnRead(IAsyncResult ar)
                {
                    int n = s_stream.EndRead(ar);
                    if (n <= 0) return;
                    Console.WriteLine(BitConverter.ToString(s_feed, 0, n));
                    Array.Clear(s_feed, 0, n);
                    s_stream.BeginRead(s_feed, 0, s_feed.Length, s_onRead, null);
                }
            }
            """);
    }

    [Fact]
    public async Task Callback_field_look_alikes_are_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading;

            public class Receivers
            {
                private static readonly Socket s_sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
                private static readonly byte[] {|#0:s_two_buf|} = new byte[64];
                private static readonly byte[] {|#1:s_direct_buf|} = new byte[64];
                private static readonly byte[] {|#2:s_public_buf|} = new byte[64];
                private static readonly byte[] {|#3:s_early_buf|} = new byte[64];
                private static readonly byte[] {|#4:s_looped_buf|} = new byte[64];
                private static readonly byte[] {|#5:s_timer_buf|} = new byte[64];
                private static readonly byte[] {|#6:s_queued_buf|} = new byte[64];
                private static readonly AsyncCallback s_queued = OnQueued;
                private static AsyncCallback _two = null!;
                private static AsyncCallback _direct = null!;
                public static AsyncCallback PublicCallback = null!;
                private static AsyncCallback _early = null!;
                private static AsyncCallback _looped = null!;
                private static AsyncCallback _timer = null!;
                private static Timer? s_t;

                // The field holds two callbacks: a receive may run either, on top of the other's chain.
                public static void StartTwoA() { _two = OnTwoA; s_sock.BeginReceive(s_two_buf, 0, 64, SocketFlags.None, _two, null); }
                public static void StartTwoB() { _two = OnTwoB; s_sock.BeginReceive(s_two_buf, 0, 64, SocketFlags.None, _two, null); }
                private static void OnTwoA(IAsyncResult ar) { s_sock.EndReceive(ar); Console.WriteLine(s_two_buf[0]); s_sock.BeginReceive(s_two_buf, 0, 64, SocketFlags.None, _two, null); }
                private static void OnTwoB(IAsyncResult ar) { s_sock.EndReceive(ar); Console.WriteLine(s_two_buf[1]); s_sock.BeginReceive(s_two_buf, 0, 64, SocketFlags.None, _two, null); }

                // The field's delegate is also invoked directly, on the caller's thread.
                public static void StartDirect() { _direct = OnDirect; s_sock.BeginReceive(s_direct_buf, 0, 64, SocketFlags.None, _direct, null); }
                public static void Poke() => _direct(null!);
                private static void OnDirect(IAsyncResult ar) { s_direct_buf[0] = 1; Console.WriteLine(s_direct_buf[1]); s_sock.BeginReceive(s_direct_buf, 0, 64, SocketFlags.None, _direct, null); }

                // A public field: other code may pass it anywhere.
                public static void StartPublic() { PublicCallback = OnPublic; s_sock.BeginReceive(s_public_buf, 0, 64, SocketFlags.None, PublicCallback, null); }
                private static void OnPublic(IAsyncResult ar) { s_public_buf[0] = 1; Console.WriteLine(s_public_buf[1]); s_sock.BeginReceive(s_public_buf, 0, 64, SocketFlags.None, PublicCallback, null); }

                // Re-armed before the buffer is looked at.
                public static void StartEarly() { _early = OnEarly; s_sock.BeginReceive(s_early_buf, 0, 64, SocketFlags.None, _early, null); }
                private static void OnEarly(IAsyncResult ar) { s_sock.BeginReceive(s_early_buf, 0, 64, SocketFlags.None, _early, null); Console.WriteLine(s_early_buf[0]); }

                // Started in a loop: several chains at once.
                public static void StartLooped() { _looped = OnLooped; for (int i = 0; i < 4; i++) s_sock.BeginReceive(s_looped_buf, 0, 64, SocketFlags.None, _looped, null); }
                private static void OnLooped(IAsyncResult ar) { s_looped_buf[0] = 1; Console.WriteLine(s_looped_buf[1]); s_sock.BeginReceive(s_looped_buf, 0, 64, SocketFlags.None, _looped, null); }

                // Also handed to a timer.
                public static void StartTimer() { _timer = OnTimer; s_sock.BeginReceive(s_timer_buf, 0, 64, SocketFlags.None, _timer, null); s_t = new Timer(_ => Tick(_timer)); }
                private static void Tick(AsyncCallback callback) => callback(null!);
                private static void OnTimer(IAsyncResult ar) { s_timer_buf[0] = 1; Console.WriteLine(s_timer_buf[1]); s_sock.BeginReceive(s_timer_buf, 0, 64, SocketFlags.None, _timer, null); }

                // The field's Invoke handed to the thread pool.
                public static void StartQueued() => s_sock.BeginReceive(s_queued_buf, 0, 64, SocketFlags.None, s_queued, null);
                public static void Kick(IAsyncResult fake) => ThreadPool.QueueUserWorkItem(s_queued.Invoke, fake, false);
                private static void OnQueued(IAsyncResult ar) { s_queued_buf[0] = 1; Console.WriteLine(s_queued_buf[1]); s_sock.BeginReceive(s_queued_buf, 0, 64, SocketFlags.None, s_queued, null); }
            }
            """,
            VerifyCS.Diagnostic("KS0006").WithLocation(0).WithArguments("s_two_buf", "StartTwoA"),
            VerifyCS.Diagnostic("KS0006").WithLocation(1).WithArguments("s_direct_buf", "StartDirect"),
            VerifyCS.Diagnostic("KS0006").WithLocation(2).WithArguments("s_public_buf", "StartPublic"),
            VerifyCS.Diagnostic("KS0006").WithLocation(3).WithArguments("s_early_buf", "StartEarly"),
            VerifyCS.Diagnostic("KS0006").WithLocation(4).WithArguments("s_looped_buf", "StartLooped"),
            VerifyCS.Diagnostic("KS0006").WithLocation(5).WithArguments("s_timer_buf", "StartTimer"),
            VerifyCS.Diagnostic("KS0006").WithLocation(6).WithArguments("s_queued_buf", "StartQueued"));
    }

    [Fact]
    public async Task Read_only_lookup_table_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Crc
            {
                static readonly uint[] Table = Build();
                static readonly byte[] Magic = { 0x7F, 0x45, 0x4C, 0x46 };

                static uint[] Build()
                {
                    var t = new uint[256];
                    for (uint i = 0; i < 256; i++) t[i] = i * 0x04C11DB7;
                    return t;
                }

                public static uint Next(uint crc, byte b) => Table[(crc ^ b) & 0xFF] ^ (crc >> 8);

                public static bool IsElf(ReadOnlySpan<byte> header) => header.StartsWith(Magic);
            }
            """);
    }

    [Fact]
    public async Task Table_filled_in_the_static_constructor_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Hex
            {
                static readonly byte[] Digits = new byte[16];
                static readonly char[] Lower = new char[16];

                static Hex()
                {
                    for (var i = 0; i < 16; i++) Digits[i] = (byte)"0123456789abcdef"[i];
                    "0123456789abcdef".AsSpan().CopyTo(Lower);
                    Array.Reverse(Lower);
                }

                public static byte Digit(int i) => Digits[i];
            }
            """);
    }

    [Fact]
    public async Task Table_filled_by_a_private_helper_of_the_static_constructor_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            static class Base64Url
            {
                static readonly byte[] Decode = new byte[128];
                static readonly char[] Encode = InitEncode();

                static Base64Url() => FillDecode();

                static void FillDecode()
                {
                    for (var i = 0; i < Encode.Length; i++) Decode[Encode[i]] = (byte)i;
                    Mark();
                }

                static void Mark() => Decode[0] = 0xFF;

                static char[] InitEncode()
                {
                    var chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".ToCharArray();
                    Decode[1] = 0xFF;
                    return chars;
                }

                public static byte Value(char c) => Decode[c];
            }
            """);
    }

    [Fact]
    public async Task Private_helper_also_called_after_initialization_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Table
            {
                static readonly byte[] {|KS0006:Values|} = new byte[16];

                static Table() => Reset();

                static void Reset() => Array.Fill(Values, (byte)1);

                public static void Refresh() => Reset();

                public static Action Later() => Reset;
            }
            """);
    }

    [Fact]
    public async Task Interlocked_updates_of_elements_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Threading;

            static class Stats
            {
                static readonly long[] Counters = new long[8];
                static readonly int[] Flags = new int[8];

                public static void Hit(int i)
                {
                    Interlocked.Increment(ref Counters[i & 7]);
                    Volatile.Write(ref Flags[i & 7], 1);
                }

                public static long Read(int i) => Interlocked.Read(ref Counters[i & 7]);
            }
            """);
    }

    [Fact]
    public async Task ThreadStatic_buffer_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class PerThread
            {
                [ThreadStatic]
                static byte[]? t_buffer;

                public static byte[] Get(byte[] src)
                {
                    var buffer = t_buffer ??= new byte[80];
                    Buffer.BlockCopy(src, 0, buffer, 0, Math.Min(src.Length, 80));
                    t_buffer[0] = 1;
                    return buffer;
                }
            }
            """);
    }

    [Fact]
    public async Task ThreadLocal_buffer_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;

            static class PerThread
            {
                static readonly ThreadLocal<byte[]> Buffer = new(() => new byte[80]);

                public static void Fill(byte b) => Buffer.Value![0] = b;
            }
            """);
    }

    [Fact]
    public async Task Writes_under_lock_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading;

            static class Locked
            {
                static readonly object Gate = new();
                static readonly SemaphoreSlim Semaphore = new(1, 1);
                static byte[] msg = new byte[80];
                static byte[] other = new byte[80];

                public static void Write(Socket socket, byte[] buff)
                {
                    lock (Gate)
                    {
                        Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(buff.Length, 80));
                        socket.Send(msg);
                    }
                }

                public static void Write2(byte[] buff)
                {
                    Semaphore.Wait();
                    try
                    {
                        buff.AsSpan(0, 80).CopyTo(other);
                    }
                    finally
                    {
                        Semaphore.Release();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Monitor_and_synchronized_method_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.CompilerServices;
            using System.Threading;

            static class Guarded
            {
                static readonly object Gate = new();
                static byte[] a = new byte[8];
                static byte[] b = new byte[8];

                public static void One(byte v)
                {
                    Monitor.Enter(Gate);
                    try { a[0] = v; }
                    finally { Monitor.Exit(Gate); }
                }

                [MethodImpl(MethodImplOptions.Synchronized)]
                public static void Two(byte v) => b[0] = v;
            }
            """);
    }

    [Fact]
    public async Task Local_alias_only_read_or_written_under_lock_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            static class Aliases
            {
                static readonly object Gate = new();
                static byte[] table = new byte[64];
                static byte[] scratch = new byte[64];

                public static int Sum()
                {
                    ReadOnlySpan<byte> view = table;
                    var copy = table;
                    var total = 0;
                    foreach (var b in view) total += b;
                    return total + copy[0];
                }

                public static void Send(Socket socket, byte value)
                {
                    var span = scratch.AsSpan();
                    lock (Gate)
                    {
                        span.Fill(value);
                        socket.Send(span);
                    }
                }

                public static void Swap(byte[] next)
                {
                    var buffer = table;
                    buffer = next;
                    buffer[0] = 1;
                }
            }
            """);
    }

    [Fact]
    public async Task Instance_buffer_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            sealed class Connection
            {
                private readonly byte[] _buffer = new byte[4096];

                public int Read(Stream s) => s.Read(_buffer, 0, _buffer.Length);

                public void Clear() => Array.Clear(_buffer);
            }
            """);
    }

    [Fact]
    public async Task Buffer_only_read_copied_from_or_sent_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Linq;
            using System.Net.Sockets;
            using System.Text;

            static class Readers
            {
                static byte[] Preamble = new byte[] { 1, 2, 3 };
                static Memory<byte> Trailer = new byte[] { 4, 5 };

                public static void Use(Socket socket, Stream stream, byte[] dst)
                {
                    socket.Send(Preamble);
                    stream.Write(Preamble, 0, Preamble.Length);
                    stream.Write(Trailer.Span);
                    Buffer.BlockCopy(Preamble, 0, dst, 0, 3);
                    Preamble.AsSpan().CopyTo(dst);
                    Preamble.CopyTo(dst, 0);
                    _ = Preamble.AsSpan().IndexOf((byte)2);
                    _ = Encoding.UTF8.GetString(Preamble);
                    _ = Preamble.Sum(x => x) + Preamble[0] + Trailer.Span[0];
                    foreach (var b in Preamble) { _ = b; }
                }
            }
            """);
    }

    [Fact]
    public async Task Replacing_the_field_reference_is_not_a_content_write()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Swap
            {
                static byte[] current = Array.Empty<byte>();

                public static void Publish(byte[] next)
                {
                    current = next;
                    Array.Resize(ref current, 10);
                }
            }
            """);
    }

    [Fact]
    public async Task User_methods_named_like_the_APIs_are_not_writes()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            static class Buffer
            {
                public static void BlockCopy(byte[] src, int so, byte[] dst, int d, int n) { }
            }

            class Fake
            {
                public int Read(byte[] buffer, int offset, int count) => 0;
                public void Receive(byte[] buffer) { }
            }

            static class Users
            {
                static byte[] data = new byte[8];

                public static void Go(Fake fake, byte[] src)
                {
                    Buffer.BlockCopy(src, 0, data, 0, 8);
                    fake.Read(data, 0, 8);
                    fake.Receive(data);
                }
            }
            """);
    }

    [Fact]
    public async Task Static_auto_property_and_ReadOnlyMemory_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Props
            {
                public static ReadOnlyMemory<byte> Header { get; } = new byte[] { 1, 2 };
                static ReadOnlyMemory<byte> Footer = new byte[] { 3 };

                public static byte First() => Header.Span[0];
                public static byte Last() => Footer.Span[0];
            }
            """);
    }

    [Fact]
    public async Task Incomplete_code_does_not_crash_the_analyzer()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System;

                static class Broken
                {
                    static byte[] a = new byte[8];
                    static Memory<byte> b = ;
                    static Missing[] c = new Missing[2];

                    static void F(byte[] src)
                    {
                        Buffer.BlockCopy(src, 0, a, );
                        a[ = 1;
                        Array.Copy(src, c, 2);
                        b.Span.Fill(;
                        Undefined(a);
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.TestState.ExpectedDiagnostics.Add(VerifyCS.Diagnostic("KS0006").WithSpan(7, 22, 7, 23).WithArguments("c", "F"));
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- fixes

    [Fact]
    public async Task Fix_moves_buffers_a_random_generator_fills_into_their_methods()
    {
        const string source = """
            using System;
            using System.Security.Cryptography;

            static class Cookies
            {
                static readonly RandomNumberGenerator Rng = RandomNumberGenerator.Create();
                static readonly Random Weak = new Random();
                static readonly byte[] {|KS0006:s_cookie|} = new byte[4];
                static readonly byte[] {|KS0006:s_noise|} = new byte[8];

                public static uint Cookie()
                {
                    Rng.GetBytes(s_cookie);
                    return BitConverter.ToUInt32(s_cookie, 0);
                }

                public static long Noise()
                {
                    Weak.NextBytes(s_noise);
                    return BitConverter.ToInt64(s_noise, 0);
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Security.Cryptography;

            static class Cookies
            {
                static readonly RandomNumberGenerator Rng = RandomNumberGenerator.Create();
                static readonly Random Weak = new Random();

                public static uint Cookie()
                {
                    var cookie = new byte[4];
                    Rng.GetBytes(cookie);
                    return BitConverter.ToUInt32(cookie, 0);
                }

                public static long Noise()
                {
                    var noise = new byte[8];
                    Weak.NextBytes(noise);
                    return BitConverter.ToInt64(noise, 0);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_moves_the_buffer_into_its_only_method()
    {
        const string source = """
            using System;
            using System.Net.Sockets;

            class Device
            {
                private static byte[] {|KS0006:msg|} = new byte[80];

                public static void Write(Socket socket, byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    socket.Send(msg, 0, Math.Min(len, msg.Length), SocketFlags.None);
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Net.Sockets;

            class Device
            {
                public static void Write(Socket socket, byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    socket.Send(msg, 0, Math.Min(len, msg.Length), SocketFlags.None);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, SharedStaticBufferFix.EquivalenceKey);
    }

    [Fact]
    public async Task Fix_keeps_the_size_expression_and_drops_the_prefix()
    {
        const string source = """
            using System.IO;

            static class Pump
            {
                private const int FrameSize = 512;
                private static byte[] {|KS0006:s_frame|} = new byte[FrameSize * 2];

                public static int Drain(Stream stream)
                {
                    int n = stream.Read(Pump.s_frame, 0, s_frame.Length);
                    return n > 0 ? s_frame[0] : -1;
                }
            }
            """;
        const string fixedSource = """
            using System.IO;

            static class Pump
            {
                private const int FrameSize = 512;

                public static int Drain(Stream stream)
                {
                    var frame = new byte[FrameSize * 2];
                    int n = stream.Read(frame, 0, frame.Length);
                    return n > 0 ? frame[0] : -1;
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_keeps_the_Memory_type()
    {
        const string source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Pump
            {
                static Memory<byte> {|KS0006:_memory|} = new byte[64];

                public static async Task<int> ReadAsync(Stream stream)
                {
                    int n = await stream.ReadAsync(_memory);
                    return n > 0 ? _memory.Span[0] : -1;
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.IO;
            using System.Threading.Tasks;

            static class Pump
            {
                public static async Task<int> ReadAsync(Stream stream)
                {
                    Memory<byte> memory = new byte[64];
                    int n = await stream.ReadAsync(memory);
                    return n > 0 ? memory.Span[0] : -1;
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task No_fix_when_the_buffer_is_used_by_two_methods()
    {
        const string source = """
            static class Shared
            {
                static byte[] {|KS0006:buffer|} = new byte[8];

                public static void Set(byte b) { buffer[0] = b; }

                public static byte Get() { return buffer[0]; }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public async Task No_fix_when_the_buffer_has_initial_contents_or_no_size()
    {
        const string source = """
            static class Tables
            {
                static byte[] {|KS0006:seeded|} = { 1, 2, 3 };
                static byte[] {|KS0006:sized|} = new byte[] { 1, 2, 3 };

                public static void Bump() { seeded[0]++; }

                public static void Bump2() { sized[0]++; }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public async Task No_fix_when_the_method_already_uses_the_name()
    {
        const string source = """
            static class Clash
            {
                static byte[] {|KS0006:msg|} = new byte[8];

                public static void Set(byte b)
                {
                    var local = 1;
                    Clash.msg[0] = b;
                    { var msg = local; _ = msg; }
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public async Task Fix_all_two_fields_in_one_document()
    {
        const string source = """
            using System;

            static class Device
            {
                static byte[] {|KS0006:input|} = new byte[80];
                static char[] {|KS0006:_text|} = new char[40];

                public static void Take(byte[] buff)
                {
                    buff.AsSpan(0, Math.Min(buff.Length, 80)).CopyTo(input);
                }

                public static string Show(int value)
                {
                    value.TryFormat(_text, out var n);
                    return new string(_text, 0, n);
                }
            }
            """;
        const string fixedSource = """
            using System;

            static class Device
            {
                public static void Take(byte[] buff)
                {
                    var input = new byte[80];
                    buff.AsSpan(0, Math.Min(buff.Length, 80)).CopyTo(input);
                }

                public static string Show(int value)
                {
                    var text = new char[40];
                    value.TryFormat(text, out var n);
                    return new string(text, 0, n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_all_two_fields_used_by_the_same_method()
    {
        const string source = """
            using System;
            using System.Text;

            static class Device
            {
                /// <summary>Raw input.</summary>
                static byte[] {|KS0006:s_raw|} = new byte[80];
                static char[] {|KS0006:s_chars|} = new char[80];

                public static string Decode(ReadOnlySpan<byte> input)
                {
                    input.Slice(0, Math.Min(input.Length, 80)).CopyTo(s_raw);
                    var n = Encoding.ASCII.GetChars(s_raw, 0, Math.Min(input.Length, 80), s_chars, 0);
                    return new string(s_chars, 0, n);
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Text;

            static class Device
            {
                public static string Decode(ReadOnlySpan<byte> input)
                {
                    var raw = new byte[80];
                    var chars = new char[80];
                    input.Slice(0, Math.Min(input.Length, 80)).CopyTo(raw);
                    var n = Encoding.ASCII.GetChars(raw, 0, Math.Min(input.Length, 80), chars, 0);
                    return new string(chars, 0, n);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_all_across_two_documents()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    static class A
                    {
                        static byte[] {|KS0006:buffer|} = new byte[16];

                        public static void Put(byte b)
                        {
                            buffer[0] = b;
                        }
                    }
                    """,
                    """
                    static class B
                    {
                        static int[] {|KS0006:s_counts|} = new int[4];

                        public static void Count(int i)
                        {
                            s_counts[i & 3] = i;
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
                    static class A
                    {
                        public static void Put(byte b)
                        {
                            var buffer = new byte[16];
                            buffer[0] = b;
                        }
                    }
                    """,
                    """
                    static class B
                    {
                        public static void Count(int i)
                        {
                            var counts = new int[4];
                            counts[i & 3] = i;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = SharedStaticBufferFix.EquivalenceKey,
        };
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- review: look-alikes

    [Fact]
    public async Task Zero_length_buffer_for_zero_byte_receives_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            static class Readiness
            {
                private static readonly byte[] s_empty = Array.Empty<byte>();
                private static readonly byte[] s_zero = new byte[0];

                public static int Poll(Socket socket) => socket.Receive(s_empty);

                public static ValueTask<int> WaitAsync(Socket socket) => socket.ReceiveAsync(s_zero.AsMemory(), SocketFlags.None);

                public static int Probe(Stream stream) => stream.Read(s_zero, 0, 0);
            }
            """);
    }

    [Fact]
    public async Task Table_published_by_LazyInitializer_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;

            static class Crc16
            {
                private static ushort[]? s_table;
                private static readonly Lazy<byte[]> s_reverse = new(() =>
                {
                    var t = new byte[256];
                    for (var i = 0; i < t.Length; i++) t[i] = (byte)(255 - i);
                    return t;
                });

                private static ushort[] Table => LazyInitializer.EnsureInitialized(ref s_table, Build);

                private static ushort[] Build()
                {
                    var table = new ushort[256];
                    for (var i = 0; i < table.Length; i++)
                    {
                        table[i] = (ushort)(i << 8);
                    }

                    return table;
                }

                public static ushort Compute(ReadOnlySpan<byte> data)
                {
                    ushort crc = 0;
                    foreach (var b in data)
                    {
                        crc = (ushort)((crc << 8) ^ Table[(crc >> 8) ^ s_reverse.Value[b]]);
                    }

                    return crc;
                }
            }
            """);
    }

    [Fact]
    public async Task Table_built_in_a_local_and_published_with_null_coalescing_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            static class Hex
            {
                private static char[]? s_digits;

                public static char Digit(int value)
                {
                    var digits = s_digits ??= Build();
                    return digits[value & 0xF];
                }

                private static char[] Build()
                {
                    var d = new char[16];
                    for (var i = 0; i < 16; i++) d[i] = "0123456789abcdef"[i];
                    return d;
                }
            }
            """);
    }

    [Fact]
    public async Task Empty_array_and_ArrayPool_fields_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Buffers;
            using System.Net.Sockets;

            static class Sender
            {
                private static byte[] s_empty = Array.Empty<byte>();
                private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create();

                public static void Send(Socket socket, ReadOnlySpan<byte> data)
                {
                    var rented = s_pool.Rent(data.Length);
                    try
                    {
                        data.CopyTo(rented);
                        socket.Send(rented, 0, data.Length, SocketFlags.None);
                    }
                    finally
                    {
                        s_pool.Return(rented);
                    }
                }

                public static void Ping(Socket socket) => socket.Send(s_empty);
            }
            """);
    }

    [Fact]
    public async Task Table_filled_through_an_alias_in_the_static_constructor_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Base64Url
            {
                private static readonly sbyte[] s_decode = new sbyte[128];

                static Base64Url()
                {
                    var map = s_decode.AsSpan();
                    map.Fill(-1);
                    const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                    for (var i = 0; i < alphabet.Length; i++)
                    {
                        map[alphabet[i]] = (sbyte)i;
                    }
                }

                public static int Decode(char c) => c < 128 ? s_decode[c] : -1;
            }
            """);
    }

    [Fact]
    public async Task Writes_under_an_async_semaphore_are_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            static class Channel
            {
                private static readonly SemaphoreSlim s_gate = new(1, 1);
                private static readonly byte[] s_frame = new byte[256];

                public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> payload)
                {
                    await s_gate.WaitAsync();
                    try
                    {
                        payload.Span.CopyTo(s_frame);
                        await stream.WriteAsync(s_frame, 0, payload.Length);
                    }
                    finally
                    {
                        s_gate.Release();
                    }
                }
            }
            """);
    }

    // ---------------------------------------------------------------- review: positives

    [Fact]
    public async Task Table_filled_lazily_after_it_is_published_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            static class Crc8
            {
                private static byte[]? {|KS0006:s_table|};

                public static byte Compute(byte[] data)
                {
                    if (s_table is null)
                    {
                        s_table = new byte[256];
                        for (var i = 0; i < 256; i++)
                        {
                            s_table[i] = (byte)(i * 7);
                        }
                    }

                    byte crc = 0;
                    foreach (var b in data) crc = s_table[crc ^ b];
                    return crc;
                }
            }
            """);
    }

    [Fact]
    public async Task Buffer_filled_by_an_async_read_into_its_memory_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Relay
            {
                private static readonly byte[] {|KS0006:s_chunk|} = new byte[4096];

                public async Task<int> PumpAsync(NetworkStream from, NetworkStream to)
                {
                    var n = await from.ReadAsync(s_chunk.AsMemory());
                    await to.WriteAsync(s_chunk.AsMemory(0, n));
                    return n;
                }
            }
            """);
    }

    [Fact]
    public async Task Write_in_one_method_is_flagged_even_when_another_method_locks()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Log
            {
                private static readonly object s_gate = new();
                private static readonly char[] {|KS0006:s_line|} = new char[120];

                public static void Reset()
                {
                    lock (s_gate)
                    {
                        Array.Clear(s_line);
                    }
                }

                public static string Format(string text)
                {
                    text.CopyTo(0, s_line, 0, Math.Min(text.Length, s_line.Length));
                    return new string(s_line, 0, Math.Min(text.Length, s_line.Length));
                }
            }
            """);
    }

    // ---------------------------------------------------------------- review: fix correctness

    [Fact]
    public async Task No_fix_for_an_expression_bodied_method()
    {
        const string source = """
            using System.Text;

            static class Wire
            {
                private static readonly byte[] {|KS0006:s_buffer|} = new byte[64];

                public static string Echo(string text) => Encoding.ASCII.GetString(s_buffer, 0, Encoding.ASCII.GetBytes(text, 0, text.Length, s_buffer, 0));
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public async Task No_fix_when_the_contents_carry_state_from_call_to_call()
    {
        const string source = """
            static class Stats
            {
                private static long[] {|KS0006:s_counts|} = new long[8];

                public static long Hit(int bucket)
                {
                    s_counts[bucket & 7]++;
                    return s_counts[bucket & 7];
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public async Task Fix_removes_the_field_line_and_its_trailing_comment_without_leaving_a_blank_line()
    {
        // The LegacyBridge sample's layout: constants, a blank line, the field with a trailing comment, a blank
        // line, a documented method.
        const string source = """
            using System;

            public static class NativeDevice
            {
                private const int AF_INET = 2;
                private const int MSG_NOSIGNAL = 0x4000;

                private static readonly byte[] {|KS0006:msg|} = new byte[80]; // KS0006: static char msg[80];

                /// <summary>Forwards the first <paramref name="len"/> bytes.</summary>
                public static int DeviceWrite(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, 80));
                    return msg[0] + AF_INET + MSG_NOSIGNAL;
                }
            }
            """;
        const string fixedSource = """
            using System;

            public static class NativeDevice
            {
                private const int AF_INET = 2;
                private const int MSG_NOSIGNAL = 0x4000;

                /// <summary>Forwards the first <paramref name="len"/> bytes.</summary>
                public static int DeviceWrite(byte[] buff, int len)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, 80));
                    return msg[0] + AF_INET + MSG_NOSIGNAL;
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, SharedStaticBufferFix.EquivalenceKey);
    }

    [Fact]
    public async Task Fix_takes_the_comment_above_the_field_and_keeps_a_section_comment_and_directives()
    {
        const string source = """
            using System;

            static class Device
            {
                private const int Size = 80;

                // ---- scratch ----

            #if DEBUG
                // Scratch space for Write.
                // Sized for one frame.
                private static byte[] {|KS0006:msg|} = new byte[Size]; // the listing's msg
            #endif

                public static void Write(byte[] buff)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(buff.Length, Size));
                }
            }
            """;
        const string fixedSource = """
            using System;

            static class Device
            {
                private const int Size = 80;

                // ---- scratch ----

            #if DEBUG
            #endif

                public static void Write(byte[] buff)
                {
                    var msg = new byte[Size];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(buff.Length, Size));
                }
            }
            """;
        var test = new VerifyCS.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = SharedStaticBufferFix.EquivalenceKey,
        };
        test.SolutionTransforms.Add((solution, projectId) => solution.WithProjectParseOptions(
            projectId,
            ((Microsoft.CodeAnalysis.CSharp.CSharpParseOptions)solution.GetProject(projectId)!.ParseOptions!).WithPreprocessorSymbols("DEBUG")));
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_removes_a_last_field_with_the_blank_line_before_it()
    {
        const string source = """
            using System;

            static class Device
            {
                public static void Write(byte[] buff)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(buff.Length, 80));
                }

                // Scratch space for Write.
                private static byte[] {|KS0006:msg|} = new byte[80]; // the listing's msg
            }
            """;
        const string fixedSource = """
            using System;

            static class Device
            {
                public static void Write(byte[] buff)
                {
                    var msg = new byte[80];
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(buff.Length, 80));
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, SharedStaticBufferFix.EquivalenceKey);
    }

    [Fact]
    public async Task Fix_all_removes_fields_between_members_line_by_line()
    {
        const string source = """
            using System;

            static class Device
            {
                private const int Size = 80;

                private static byte[] {|KS0006:input|} = new byte[Size]; // input
                // Text scratch.
                private static char[] {|KS0006:text|} = new char[Size];

                private static int count;

                public static string Show(byte[] buff)
                {
                    Buffer.BlockCopy(buff, 0, input, 0, Math.Min(buff.Length, Size));
                    text[0] = (char)input[0];
                    count++;
                    return new string(text, 0, 1);
                }
            }
            """;
        const string fixedSource = """
            using System;

            static class Device
            {
                private const int Size = 80;

                private static int count;

                public static string Show(byte[] buff)
                {
                    var input = new byte[Size];
                    var text = new char[Size];
                    Buffer.BlockCopy(buff, 0, input, 0, Math.Min(buff.Length, Size));
                    text[0] = (char)input[0];
                    count++;
                    return new string(text, 0, 1);
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Fix_qualified_reference_in_a_generic_async_method()
    {
        const string source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;

            class Copier
            {
                private static byte[] {|KS0006:_scratch|} = new byte[1024];

                public static async Task<int> CopyAsync<TStream>(TStream from, Stream to) where TStream : Stream
                {
                    var n = await from.ReadAsync(Copier._scratch, 0, _scratch.Length);
                    await to.WriteAsync(_scratch.AsMemory(0, n));
                    return n;
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.IO;
            using System.Threading.Tasks;

            class Copier
            {
                public static async Task<int> CopyAsync<TStream>(TStream from, Stream to) where TStream : Stream
                {
                    var scratch = new byte[1024];
                    var n = await from.ReadAsync(scratch, 0, scratch.Length);
                    await to.WriteAsync(scratch.AsMemory(0, n));
                    return n;
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, SharedStaticBufferFix.EquivalenceKey);
    }

    [Fact]
    public async Task Fix_keeps_the_field_name_when_a_lambda_parameter_takes_the_short_name()
    {
        const string source = """
            using System;
            using System.Linq;

            static class Codec
            {
                private static byte[] {|KS0006:s_work|} = new byte[16];

                public static int Sum(int[] values)
                {
                    s_work[0] = 1;
                    return values.Select(work => work + s_work[0]).Sum();
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Linq;

            static class Codec
            {
                public static int Sum(int[] values)
                {
                    var s_work = new byte[16];
                    s_work[0] = 1;
                    return values.Select(work => work + s_work[0]).Sum();
                }
            }
            """;
        await VerifyCS.VerifyCodeFixAsync(source, fixedSource, SharedStaticBufferFix.EquivalenceKey);
    }

    [Fact]
    public async Task Private_helper_only_called_under_the_lock_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Text;

            class Telemetry
            {
                private static readonly object s_gate = new();
                private static readonly byte[] s_frame = new byte[128];

                public static void Send(Socket socket, string text)
                {
                    lock (s_gate)
                    {
                        var n = Encode(text);
                        socket.Send(s_frame, 0, n, SocketFlags.None);
                    }
                }

                private static int Encode(string text)
                {
                    s_frame[0] = 0x7E;
                    return 1 + Encoding.ASCII.GetBytes(text, 0, text.Length, s_frame, 1);
                }
            }
            """);
    }

    [Fact]
    public async Task Private_helper_also_called_outside_the_lock_is_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;
            using System.Text;

            class Telemetry
            {
                private static readonly object s_gate = new();
                private static readonly byte[] {|KS0006:s_frame|} = new byte[128];

                public static void Send(Socket socket, string text)
                {
                    lock (s_gate)
                    {
                        socket.Send(s_frame, 0, Encode(text), SocketFlags.None);
                    }
                }

                public static int Measure(string text) => Encode(text);

                private static int Encode(string text) => Encoding.ASCII.GetBytes(text, 0, text.Length, s_frame, 0);
            }
            """);
    }

    [Fact]
    public async Task Table_filled_by_a_module_initializer_is_not_flagged()
    {
        await VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.CompilerServices;

            static class Crc32
            {
                private static readonly uint[] s_table = new uint[256];

                [ModuleInitializer]
                internal static void Init()
                {
                    for (uint i = 0; i < 256; i++)
                    {
                        var c = i;
                        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                        s_table[i] = c;
                    }
                }

                public static uint Next(uint crc, byte b) => s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }
            """);
    }

    // ---------------------------------------------------------------- a large type
    // A type of more than 16 KB is read through one index of its identifiers (IdentifierPositions), not searched once per
    // static buffer: a write at its far end is still a write, and a table only read is still left alone.

    [Fact]
    public async Task Large_type_write_at_its_end_is_seen_and_a_table_only_read_is_not_flagged()
    {
        var readers = string.Concat(Enumerable.Range(0, 600).Select(i =>
            $"    static int Weigh{i}(int i) => Weights[(i + {i}) % Weights.Length] * s_frame.Length;\n"));
        var source = $$"""
            using System;

            static class Tables
            {
                static readonly int[] Weights = { 3, 5, 7, 11 };
                static byte[] {|KS0006:s_frame|} = new byte[64];

            {{readers}}
                static void Fill(byte[] data) => Array.Copy(data, s_frame, 64);
            }
            """;
        Assert.True(source.Length > 16 * 1024);
        await VerifyCS.VerifyAnalyzerAsync(source);
    }
}
