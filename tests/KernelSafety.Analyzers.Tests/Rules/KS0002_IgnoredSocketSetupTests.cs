using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.IgnoredSocketSetupAnalyzer,
    KernelSafety.CodeFixes.Fixes.IgnoredSocketSetupFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0002_IgnoredSocketSetupTests
{
    /// <summary>libc's socket/connect/send/close as a device bridge declares them.</summary>
    private const string Libc = """

        static class Libc
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern int connect(int fd, byte[] address, int length);

            [DllImport("libc", EntryPoint = "connect", SetLastError = true)]
            public static extern int Connect(int fd, byte[] address, int length);

            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte[] buffer, nint length, int flags);

            [DllImport("libc")]
            public static extern int close(int fd);
        }
        """;

    // =============================================================================================
    // Native connect / socket: flagged

    [Fact]
    public Task Discarded_native_connect_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int fd, byte[] address, byte[] message)
                {
                    {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Libc.send(fd, message, message.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Discarded_connect_through_a_renamed_entry_point_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int fd, byte[] address)
                {
                    {|KS0002:Libc.Connect(fd, address, 16)|};
                }
            }
            """ + Libc);

    [Fact]
    public Task Seed_failure_branch_that_only_logs_then_sends_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    if (k < 0) Console.WriteLine("connect failed");
                    Libc.send(fd, msg, 80, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Direct_test_whose_branch_only_logs_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    if ({|KS0002:Libc.connect(fd, address, address.Length)|} != 0)
                    {
                        Console.Error.WriteLine("connect failed: " + Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Switch_on_the_connect_result_whose_failure_case_only_logs_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed: " + Marshal.GetLastPInvokeError());
                            break;
                        case 0:
                            Console.WriteLine("connected");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void Relational(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case < 0:
                            Console.Error.WriteLine("connect failed");
                            break;
                        default:
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void OnTheCall(int fd, byte[] address, byte[] msg)
                {
                    switch ({|KS0002:Libc.connect(fd, address, address.Length)|})
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void OnTheAssignment(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    switch (rc = {|KS0002:Libc.connect(fd, address, address.Length)|})
                    {
                        case < 0:
                            Console.Error.WriteLine("connect failed: " + rc);
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void Braced(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1:
                        {
                            Console.Error.WriteLine("connect failed");
                            break;
                        }
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void DefaultLogs(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case 0:
                            Console.WriteLine("connected");
                            break;
                        default:
                            Console.WriteLine("connect returned " + rc);
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Switch_on_the_connect_result_that_leaves_records_or_guards_the_use_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                private int _failures;

                public int Returns(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            return -1;
                        default:
                            break;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public void Throws(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case < 0 when fd > 0:
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        case < 0:
                            throw new Win32Exception();
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void SendsOnlyOnSuccess(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case 0:
                            Libc.send(fd, msg, msg.Length, 0);
                            break;
                        default:
                            Console.Error.WriteLine("connect failed");
                            break;
                    }
                }

                public void Records(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                            _failures++;
                            break;
                    }

                    if (_failures == 0)
                    {
                        Libc.send(fd, msg, msg.Length, 0);
                    }
                }

                public void OnTheCallLeaves(int fd, byte[] address, byte[] msg)
                {
                    switch (Libc.connect(fd, address, address.Length))
                    {
                        case -1:
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public int OnTheAssignmentReturns(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    switch (rc = Libc.connect(fd, address, address.Length))
                    {
                        case < 0:
                            return rc;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public void Exits(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("cannot reach the daemon");
                            Environment.Exit(2);
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void Helper(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                        {
                            ThrowConnectFailed(rc);
                            break;
                        }
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                private static void ThrowConnectFailed(int rc) => throw new Win32Exception(rc);

                public void InALoop(int fd, byte[] address, byte[] msg)
                {
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        var rc = Libc.connect(fd, address, address.Length);
                        switch (rc)
                        {
                            case -1:
                                Console.Error.WriteLine("retrying");
                                continue;
                        }

                        Libc.send(fd, msg, msg.Length, 0);
                        return;
                    }
                }
            }
            """ + Libc);

    [Fact]
    public Task Fix_switch_failure_case_that_only_logs_leaves_in_place_of_its_break()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            break;
                        case 0:
                            Console.WriteLine("connected");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteInt(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case < 0: Console.Error.WriteLine("connect failed"); break;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteBraced(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1:
                        {
                            Console.Error.WriteLine("connect failed");
                            break;
                        }
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        case 0:
                            Console.WriteLine("connected");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteInt(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case < 0: Console.Error.WriteLine("connect failed"); return rc;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteBraced(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                        {
                            Console.Error.WriteLine("connect failed");
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_switch_failure_case_closes_a_descriptor_the_method_opened_statement_by_statement()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void OneLine(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    switch (rc)
                    {
                        case -1: Console.Error.WriteLine("connect failed"); break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            var error = Marshal.GetLastPInvokeError();
                            Libc.close(fd);
                            throw new Win32Exception(error);
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void OneLine(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    var rc = Libc.connect(fd, address, address.Length);
                    switch (rc)
                    {
                        case -1: Console.Error.WriteLine("connect failed"); var error = Marshal.GetLastPInvokeError(); Libc.close(fd); throw new Win32Exception(error);
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_leaves_without_closing_a_descriptor_a_finally_already_closes()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    try
                    {
                        var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                        if (rc < 0)
                        {
                            Console.Error.WriteLine("connect failed");
                        }

                        Libc.send(fd, msg, msg.Length, 0);
                    }
                    finally
                    {
                        Libc.close(fd);
                    }
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address, byte[] msg)
                {
                    var fd = Libc.socket(2, 1, 0);
                    if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                    try
                    {
                        var rc = Libc.connect(fd, address, address.Length);
                        if (rc < 0)
                        {
                            Console.Error.WriteLine("connect failed");
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }

                        Libc.send(fd, msg, msg.Length, 0);
                    }
                    finally
                    {
                        Libc.close(fd);
                    }
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_switch_on_the_call_or_its_assignment_leaves_in_place_of_the_break()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void OnTheCall(int fd, byte[] address, byte[] msg)
                {
                    switch ({|KS0002:Libc.connect(fd, address, address.Length)|})
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            break;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public int OnTheAssignment(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    switch (rc = {|KS0002:Libc.connect(fd, address, address.Length)|})
                    {
                        case < 0:
                            Console.Error.WriteLine("connect failed: " + rc);
                            break;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void OnTheCall(int fd, byte[] address, byte[] msg)
                {
                    switch (Libc.connect(fd, address, address.Length))
                    {
                        case -1:
                            Console.Error.WriteLine("connect failed");
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public int OnTheAssignment(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    switch (rc = Libc.connect(fd, address, address.Length))
                    {
                        case < 0:
                            Console.Error.WriteLine("connect failed: " + rc);
                            return rc;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_tests_a_result_whose_only_test_picks_a_message()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.Error.WriteLine("connect: " + (rc < 0 ? "failed" : "ok"));
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    if (rc < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Console.Error.WriteLine("connect: " + (rc < 0 ? "failed" : "ok"));
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Stored_connect_result_never_tested_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Connect_result_only_printed_or_logged_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Diagnostics;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.WriteLine($"connect returned {k}");
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteTraced(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Debug.WriteLine("connect: " + k);
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteFormatted(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.Error.WriteLine(string.Format("connect: {0}", k));
                    Console.WriteLine("connect: {0} {1} {2} {3}", k, fd, 2, 3);
                    Console.Out.WriteLine("connect: " + k.ToString());
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Native_result_printed_where_it_is_made_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Diagnostics;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    Console.WriteLine({|KS0002:Libc.connect(fd, address, address.Length)|});
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteTraced(int fd, byte[] address, byte[] msg)
                {
                    Debug.WriteLine($"connect: {{|KS0002:Libc.connect(fd, address, address.Length)|}}");
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void Open()
                {
                    Console.WriteLine("socket: " + {|KS0002:Libc.socket(2, 1, 0)|});
                }

                public void MessageOnly(int fd, byte[] address, byte[] msg)
                {
                    Console.WriteLine({|KS0002:Libc.connect(fd, address, address.Length)|} == 0 ? "connected" : "connect failed");
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void StoredMessageOnly(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.Error.WriteLine("connect: " + (rc < 0 ? "failed" : "ok"));
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteAsText(int fd, byte[] address, byte[] msg)
                {
                    Console.WriteLine({|KS0002:Libc.connect(fd, address, address.Length)|}.ToString());
                    Trace.WriteLine("rc " + {|KS0002:Libc.connect(fd, address, address.Length)|}.ToString());
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Native_result_printed_where_it_is_made_with_no_later_use_or_tested_after_the_message_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Probe(int fd, byte[] address)
                {
                    Console.WriteLine(Libc.connect(fd, address, address.Length));
                    Libc.close(fd);
                }

                public void MessageThenTest(int fd, byte[] address, byte[] msg)
                {
                    var rc = Libc.connect(fd, address, address.Length);
                    Console.WriteLine(rc == 0 ? "connected" : "connect failed");
                    if (rc < 0) throw new InvalidOperationException("connect failed");
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void MessageThenClose(int fd, byte[] address)
                {
                    Console.WriteLine(Libc.connect(fd, address, address.Length) == 0 ? "port open" : "port closed");
                    Libc.close(fd);
                }

                public int ChosenValue(int fd, byte[] address, byte[] msg)
                    => Libc.connect(fd, address, address.Length) == 0 ? (int)Libc.send(fd, msg, msg.Length, 0) : -1;

                public void Checked(int fd, byte[] address, byte[] msg)
                {
                    Check(Libc.connect(fd, address, address.Length));
                    Libc.send(fd, msg, msg.Length, 0);
                }

                private static void Check(int rc)
                {
                    if (rc < 0) throw new InvalidOperationException("connect failed");
                }
            }
            """ + Libc);

    [Fact]
    public Task Connect_result_logged_and_then_tested_or_handed_on_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    Console.WriteLine($"connect returned {k}");
                    if (k < 0)
                    {
                        throw new InvalidOperationException("connect failed");
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void WriteChecked(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    Record($"connect returned {k}", k);
                    Libc.send(fd, msg, msg.Length, 0);
                }

                private static void Record(string message, int result)
                {
                    if (result < 0)
                    {
                        throw new InvalidOperationException(message);
                    }
                }

                // A probe: prints the result and only closes the descriptor.
                public static void Probe(int fd, byte[] address)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    Console.WriteLine($"connect -> {k}");
                    Libc.close(fd);
                }

                // The project's own LoggerExtensions, which throws: not a logger.
                public void WriteOwnLogger(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    LoggerExtensions.LogResult(k);
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }

            static class LoggerExtensions
            {
                public static void LogResult(int result)
                {
                    if (result < 0)
                    {
                        throw new InvalidOperationException("failed");
                    }
                }
            }
            """ + Libc);

    [Fact]
    public Task Connect_result_tested_only_after_the_send_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Libc.send(fd, msg, msg.Length, 0);
                    if (k < 0)
                    {
                        return k;
                    }

                    return 0;
                }
            }
            """ + Libc);

    [Fact]
    public Task Native_socket_descriptor_never_tested_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
            """ + Libc);

    [Fact]
    public Task Descriptor_tested_against_zero_instead_of_minus_one_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Winsock
            {
                [DllImport("ws2_32.dll", SetLastError = true)]
                public static extern IntPtr socket(int af, int type, int protocol);

                [DllImport("ws2_32.dll", SetLastError = true)]
                public static extern int connect(IntPtr s, byte[] name, int namelen);
            }

            class Bridge
            {
                public IntPtr OpenWinsock(byte[] address)
                {
                    IntPtr s = {|#0:Winsock.socket(2, 1, 6)|};
                    if (s == IntPtr.Zero)
                    {
                        throw new InvalidOperationException("socket failed");
                    }

                    if (Winsock.connect(s, address, address.Length) != 0)
                    {
                        throw new InvalidOperationException("connect failed");
                    }

                    return s;
                }

                public int OpenLibc(byte[] address)
                {
                    int fd = {|#1:Libc.socket(2, 1, 0)|};
                    if (fd == 0)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int OpenInCondition(byte[] address)
                {
                    int fd;
                    if ((fd = {|#2:Libc.socket(2, 1, 0)|}) == default)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public bool OpenWhenNonZero(byte[] address)
                {
                    IntPtr s = {|#3:Winsock.socket(2, 1, 6)|};
                    if (s != IntPtr.Zero)
                    {
                        return Winsock.connect(s, address, address.Length) == 0;
                    }

                    return false;
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithLocation(0).WithArguments("socket", "'s' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"),
            VerifyCS.Diagnostic("KS0002").WithLocation(1).WithArguments("socket", "'fd' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"),
            VerifyCS.Diagnostic("KS0002").WithLocation(2).WithArguments("socket", "'fd' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"),
            VerifyCS.Diagnostic("KS0002").WithLocation(3).WithArguments("socket", "'s' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"));

    [Fact]
    public Task Descriptor_tested_against_zero_with_a_pattern_or_Equals_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int OpenPattern(byte[] address)
                {
                    int fd = {|#0:Libc.socket(2, 1, 0)|};
                    if (fd is 0)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int OpenEquals(byte[] address)
                {
                    int fd = {|#1:Libc.socket(2, 1, 0)|};
                    if (fd.Equals(0))
                    {
                        throw new InvalidOperationException("socket failed");
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int OpenNegatedPattern(byte[] address)
                {
                    int fd = {|#2:Libc.socket(2, 1, 0)|};
                    if (fd is not 0)
                    {
                        return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                    }

                    return -1;
                }

                public int OpenMinusOnePattern(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd is -1)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithLocation(0).WithArguments("socket", "'fd' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"),
            VerifyCS.Diagnostic("KS0002").WithLocation(1).WithArguments("socket", "'fd' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"),
            VerifyCS.Diagnostic("KS0002").WithLocation(2).WithArguments("socket", "'fd' is tested against 0, but socket() returns -1 (INVALID_SOCKET) on failure and 0 is a valid descriptor; test it for -1 and leave the method on failure"));

    [Fact]
    public Task Descriptor_tested_for_minus_one_next_to_a_zero_test_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int AtMostZero(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd <= 0)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int ZeroOrMinusOne(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd == 0 || fd == -1)
                    {
                        return -1;
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int ZeroTestAfterTheFailureTest(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return -1;
                    }

                    if (fd == 0)
                    {
                        Console.WriteLine("descriptor 0: stdin was closed");
                    }

                    return Libc.connect(fd, address, address.Length) < 0 ? -1 : fd;
                }

                public int ConnectComparedWithZero(int fd, byte[] address)
                {
                    int rc = Libc.connect(fd, address, address.Length);
                    if (rc != 0)
                    {
                        return -1;
                    }

                    return (int)Libc.send(fd, address, address.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Fix_adds_the_minus_one_test_after_a_descriptor_tested_against_zero()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (fd == 0)
                    {
                        return -1;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteAgain(byte[] msg)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (fd != 0)
                    {
                        return (int)Libc.send(fd, msg, msg.Length, 0);
                    }

                    return -1;
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    if (fd == 0)
                    {
                        return -1;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteAgain(byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    if (fd != 0)
                    {
                        return (int)Libc.send(fd, msg, msg.Length, 0);
                    }

                    return -1;
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_adds_the_minus_one_test_after_a_descriptor_tested_against_zero_with_a_pattern_or_Equals()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (fd is 0)
                    {
                        return -1;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteAgain(byte[] msg)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (!fd.Equals(0))
                    {
                        return (int)Libc.send(fd, msg, msg.Length, 0);
                    }

                    return -1;
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    if (fd is 0)
                    {
                        return -1;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int WriteAgain(byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    if (!fd.Equals(0))
                    {
                        return (int)Libc.send(fd, msg, msg.Length, 0);
                    }

                    return -1;
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Discarded_native_socket_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open()
                {
                    {|KS0002:Libc.socket(2, 1, 0)|};
                }
            }
            """ + Libc);

    [Fact]
    public Task Socket_test_whose_branch_only_logs_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(byte[] address)
                {
                    var fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (fd == -1)
                    {
                        Console.WriteLine("socket failed");
                    }

                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        throw new InvalidOperationException();
                    }
                }
            }
            """ + Libc);

    [Fact]
    public async Task Discarded_LibraryImport_connect_is_flagged()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Runtime.InteropServices;

                static partial class Sys
                {
                    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
                    private static partial int {|CS8795:Connect|}(int fd, byte[] address, int length);

                    public static void Open(int fd, byte[] address)
                    {
                        {|KS0002:Connect(fd, address, address.Length)|};
                    }
                }
                """,
        };
        await test.RunAsync();
    }

    // =============================================================================================
    // Managed setup: flagged

    [Fact]
    public Task Unawaited_ConnectAsync_in_async_method_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public async Task WriteAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|};
                    await socket.SendAsync(msg, SocketFlags.None);
                }
            }
            """);

    [Fact]
    public Task Unawaited_ConnectAsync_in_synchronous_method_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|};
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Discarded_TcpClient_ConnectAsync_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(TcpClient client)
                {
                    _ = {|KS0002:client.ConnectAsync("127.0.0.1", 2001)|};
                }
            }
            """);

    [Fact]
    public Task Unawaited_ConnectAsync_with_ConfigureAwait_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public async Task OpenAsync(Socket socket, IPAddress address)
                {
                    {|KS0002:socket.ConnectAsync(address, 2001)|}.ConfigureAwait(false);
                    await Task.Yield();
                }
            }
            """);

    [Fact]
    public Task Stored_ConnectAsync_task_never_observed_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public void Open(Socket socket, EndPoint endPoint)
                {
                    Task pending = {|KS0002:socket.ConnectAsync(endPoint)|};
                }
            }
            """);

    [Fact]
    public Task Ignored_pending_flag_of_ConnectAsync_with_event_args_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, SocketAsyncEventArgs args)
                {
                    {|KS0002:socket.ConnectAsync(args)|};
                }
            }
            """);

    [Fact]
    public Task BeginConnect_without_EndConnect_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var result = {|KS0002:socket.BeginConnect(endPoint, null, null)|};
                    result.AsyncWaitHandle.WaitOne(5000);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Connect_in_try_whose_catch_swallows_then_sends_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("connect failed: " + e.SocketErrorCode);
                    }

                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Non_blocking_connect_whose_filtered_catch_waits_for_completion_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Device
            {
                public void ConnectWithTimeout(Socket socket, EndPoint endPoint, int timeoutMicros)
                {
                    socket.Blocking = false;
                    try
                    {
                        socket.Connect(endPoint);
                        return;
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                    {
                        // In progress: wait below.
                    }

                    if (!socket.Poll(timeoutMicros, SelectMode.SelectWrite))
                    {
                        throw new TimeoutException("connect timed out");
                    }

                    if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int code && code != 0)
                    {
                        throw new SocketException(code);
                    }
                }
            }
            """);

    [Fact]
    public Task Awaited_ConnectAsync_in_try_whose_catch_all_swallows_then_sends_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                private readonly TcpClient _client = new TcpClient();

                public async Task WriteAsync(byte[] msg)
                {
                    try
                    {
                        await {|KS0002:_client.ConnectAsync("127.0.0.1", 2001)|};
                    }
                    catch
                    {
                    }

                    await _client.GetStream().WriteAsync(msg);
                }
            }
            """);

    [Fact]
    public Task Swallowing_catch_after_a_try_that_sets_a_flag_once_connected_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                private enum State { Idle, Up }

                private bool _connected;

                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = false;
                    try
                    {
                        socket.Connect(endPoint);
                        connected = true;
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine(e.Message);
                    }

                    if (connected)
                    {
                        socket.Send(msg);
                    }
                }

                public async Task WriteAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        await socket.ConnectAsync(endPoint);
                        _connected = true;
                    }
                    catch (SocketException)
                    {
                        Console.WriteLine("down");
                    }

                    if (!_connected)
                    {
                        return;
                    }

                    await socket.SendAsync(msg, SocketFlags.None);
                }

                public void WriteState(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var state = State.Idle;
                    try
                    {
                        socket.Connect(endPoint);
                        state = State.Up;
                    }
                    catch (SocketException)
                    {
                    }

                    if (state == State.Up)
                    {
                        socket.Send(msg);
                    }
                }
            }
            """);

    [Fact]
    public Task Swallowing_catch_after_a_try_whose_stores_are_not_read_after_it_or_come_before_the_connect_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void SetBeforeConnect(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = false;
                    try
                    {
                        connected = true;
                        {|KS0002:socket.Connect(endPoint)|};
                    }
                    catch (SocketException)
                    {
                    }

                    if (connected)
                    {
                        socket.Send(msg);
                    }
                }

                public void NeverRead(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = false;
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        connected = true;
                        Console.WriteLine(connected);
                    }
                    catch (SocketException)
                    {
                    }

                    socket.Send(msg);
                }

                private int _attempts;

                public void Counter(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connectedAt = DateTime.MinValue;
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        _attempts = 1;
                        connectedAt = DateTime.UtcNow;
                    }
                    catch (SocketException)
                    {
                    }

                    if (_attempts > 10)
                    {
                        Console.WriteLine(connectedAt);
                    }

                    socket.Send(msg);
                }

                public void OnlyPrinted(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = false;
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        connected = true;
                    }
                    catch (SocketException)
                    {
                    }

                    Console.WriteLine("connected=" + connected);
                    socket.Send(msg);
                }

                public void AlreadySet(Socket socket, EndPoint endPoint, byte[] msg, bool reuse)
                {
                    var ready = false;
                    if (reuse)
                    {
                        ready = true;
                    }

                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        ready = true;
                    }
                    catch (SocketException)
                    {
                    }

                    if (ready)
                    {
                        socket.Send(msg);
                    }
                }

                public void InitiallySet(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var ready = true;
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        ready = true;
                    }
                    catch (SocketException)
                    {
                    }

                    if (ready)
                    {
                        socket.Send(msg);
                    }
                }

                public void LocalOfTheTry(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        var started = DateTime.UtcNow;
                        Console.WriteLine(started);
                    }
                    catch (SocketException)
                    {
                    }

                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Swallowing_catch_whose_flag_is_tested_only_after_the_socket_is_used_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Bus
            {
                private readonly TcpClient _tcp = new TcpClient();
                private readonly UdpClient _udp = new UdpClient();

                // The tenth pass's KNX shape: the stream is used before the flag is looked at.
                public bool Open(string host, byte[] hello)
                {
                    bool ok = false;
                    try
                    {
                        {|KS0002:_tcp.Connect(host, 3671)|};
                        ok = true;
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("Open: " + e);
                    }

                    _tcp.GetStream().Write(hello, 0, hello.Length);
                    if (!ok) return false;
                    return true;
                }

                public bool Listen(string host, AsyncCallback received)
                {
                    var state = 0;
                    try
                    {
                        {|KS0002:_udp.Connect(host, 3671)|};
                        state = 1;
                    }
                    catch (SocketException)
                    {
                    }

                    _udp.BeginReceive(received, null);
                    while (state != 1)
                    {
                        return false;
                    }

                    return true;
                }
            }
            """);

    [Fact]
    public Task Swallowing_catch_whose_flag_is_tested_after_option_settings_or_a_Connected_read_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Bus
            {
                public bool Open(TcpClient tcp, string host, byte[] hello)
                {
                    bool ok = false;
                    try
                    {
                        tcp.Connect(host, 3671);
                        ok = true;
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("Open: " + e);
                    }

                    tcp.ReceiveTimeout = 1000;
                    Console.WriteLine(tcp.Connected);
                    if (!ok)
                    {
                        tcp.Close();
                        return false;
                    }

                    tcp.GetStream().Write(hello, 0, hello.Length);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Fix_rethrows_in_a_catch_whose_flag_is_tested_after_the_use()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net.Sockets;

            class Bus
            {
                public bool Open(TcpClient tcp, string host, byte[] hello)
                {
                    bool ok = false;
                    try
                    {
                        {|KS0002:tcp.Connect(host, 3671)|};
                        ok = true;
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("Open: " + e);
                    }

                    tcp.GetStream().Write(hello, 0, hello.Length);
                    if (!ok) return false;
                    return true;
                }
            }
            """, """
            using System;
            using System.Net.Sockets;

            class Bus
            {
                public bool Open(TcpClient tcp, string host, byte[] hello)
                {
                    bool ok = false;
                    try
                    {
                        tcp.Connect(host, 3671);
                        ok = true;
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("Open: " + e);
                        throw;
                    }

                    tcp.GetStream().Write(hello, 0, hello.Length);
                    if (!ok) return false;
                    return true;
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Swallowing_catch_after_a_try_that_sets_a_flag_atomically_or_by_deconstruction_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            class Bridge
            {
                private int _state;
                private bool _up;

                public void Exchanged(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        socket.Connect(endPoint);
                        Interlocked.Exchange(ref _state, 1);
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine(e.Message);
                    }

                    if (Interlocked.CompareExchange(ref _state, 0, 0) == 1)
                    {
                        socket.Send(msg);
                    }
                }

                public void VolatileWrite(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        socket.Connect(endPoint);
                        Volatile.Write(ref _up, true);
                    }
                    catch (SocketException)
                    {
                    }

                    if (!Volatile.Read(ref _up))
                    {
                        return;
                    }

                    socket.Send(msg);
                }

                public void CompareExchanged(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        socket.Connect(endPoint);
                        Interlocked.CompareExchange(ref _state, 1, 0);
                    }
                    catch (SocketException)
                    {
                    }

                    var up = Volatile.Read(ref _state) == 1;
                    if (!up)
                    {
                        return;
                    }

                    socket.Send(msg);
                }

                public void Switched(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        socket.Connect(endPoint);
                        Interlocked.Exchange(ref _state, 1);
                    }
                    catch (SocketException)
                    {
                    }

                    switch (Volatile.Read(ref _state))
                    {
                        case 1:
                            socket.Send(msg);
                            break;
                    }
                }

                public void Deconstructed(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = false;
                    var attempts = 0;
                    try
                    {
                        socket.Connect(endPoint);
                        (connected, attempts) = (true, 1);
                    }
                    catch (SocketException)
                    {
                        Console.WriteLine(attempts);
                    }

                    if (connected)
                    {
                        socket.Send(msg);
                    }
                }
            }
            """);

    [Fact]
    public Task Swallowing_catch_after_an_atomic_or_deconstructed_store_that_guards_nothing_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            class Bridge
            {
                private int _state;
                private int _attempts;

                public void ExchangedBeforeTheConnect(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        Interlocked.Exchange(ref _state, 1);
                        {|KS0002:socket.Connect(endPoint)|};
                    }
                    catch (SocketException)
                    {
                    }

                    if (Volatile.Read(ref _state) == 1)
                    {
                        socket.Send(msg);
                    }
                }

                public void CopiedAndOnlyPrinted(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        Interlocked.CompareExchange(ref _state, 1, 0);
                    }
                    catch (SocketException)
                    {
                    }

                    var state = Volatile.Read(ref _state);
                    Console.WriteLine(state);
                    socket.Send(msg);
                }

                public void CountedOnly(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        Interlocked.Exchange(ref _attempts, 0);
                    }
                    catch (SocketException)
                    {
                    }

                    Console.WriteLine(Volatile.Read(ref _attempts));
                    socket.Send(msg);
                }

                public void DeconstructedButAlreadySet(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connected = true;
                    var attempts = 0;
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                        (connected, attempts) = (true, 1);
                    }
                    catch (SocketException)
                    {
                    }

                    Console.WriteLine(attempts);
                    if (connected)
                    {
                        socket.Send(msg);
                    }
                }
            }
            """);

    [Fact]
    public Task ConnectAsync_continuation_that_never_looks_at_the_task_and_is_dropped_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.ContinueWith(_ => socket.Send(hello));
                }

                public void WriteStored(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    var connecting = {|KS0002:socket.ConnectAsync(endPoint)|};
                    connecting.ContinueWith(t => { socket.Send(hello); });
                }

                public void WriteSynchronously(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.ContinueWith(_ => socket.Send(hello), System.Threading.Tasks.TaskContinuationOptions.ExecuteSynchronously);
                }
            }
            """);

    [Fact]
    public Task ConnectAsync_continuations_that_look_at_the_task_skip_faults_or_are_kept_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public void Checked(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    socket.ConnectAsync(endPoint).ContinueWith(t =>
                    {
                        if (t.IsFaulted)
                        {
                            Console.WriteLine(t.Exception);
                            return;
                        }

                        socket.Send(hello);
                    });
                }

                public void OnlyOnSuccess(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    socket.ConnectAsync(endPoint).ContinueWith(_ => socket.Send(hello), TaskContinuationOptions.OnlyOnRanToCompletion);
                }

                public Task Kept(Socket socket, EndPoint endPoint, byte[] hello)
                    => socket.ConnectAsync(endPoint).ContinueWith(_ => socket.Send(hello));

                public void Handler(Socket socket, EndPoint endPoint)
                {
                    socket.ConnectAsync(endPoint).ContinueWith(OnConnected);
                }

                private static void OnConnected(Task connect) => connect.GetAwaiter().GetResult();

                public void GuardedByConnected(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    socket.ConnectAsync(endPoint).ContinueWith(_ =>
                    {
                        if (!socket.Connected)
                        {
                            return;
                        }

                        socket.Send(hello);
                    });
                }

                public void SignalOnly(Socket socket, EndPoint endPoint, byte[] hello)
                {
                    using var done = new System.Threading.ManualResetEventSlim();
                    socket.ConnectAsync(endPoint).ContinueWith(_ => done.Set());
                    if (!done.Wait(5000) || !socket.Connected)
                    {
                        throw new SocketException((int)SocketError.NotConnected);
                    }

                    socket.Send(hello);
                }
            }
            """);

    [Fact]
    public Task Ignored_Wait_timeout_result_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.Wait(5000);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Wait_timeout_result_kept_in_a_local_that_is_never_read_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connecting = {|KS0002:socket.ConnectAsync(endPoint)|};
                    bool done = connecting.Wait(2000);
                    socket.Send(msg);
                }

                public void WriteTested(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connecting = socket.ConnectAsync(endPoint);
                    bool done = connecting.Wait(2000);
                    if (!done)
                    {
                        throw new TimeoutException();
                    }

                    socket.Send(msg);
                }

                public bool WriteReturned(Socket socket, EndPoint endPoint)
                {
                    bool done = socket.ConnectAsync(endPoint).Wait(2000);
                    return done;
                }

                public void WriteRetried(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connecting = socket.ConnectAsync(endPoint);
                    var done = false;
                    var tries = 0;
                    while (!done)
                    {
                        if (++tries > 5)
                        {
                            throw new TimeoutException();
                        }

                        done = connecting.Wait(1000);
                    }

                    socket.Send(msg);
                }

                public void WritePrinted(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var connecting = {|KS0002:socket.ConnectAsync(endPoint)|};
                    bool done = connecting.Wait(2000);
                    Console.WriteLine("connected: " + done);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Ignored_Wait_timeout_on_a_stored_task_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    var connecting = {|KS0002:client.ConnectAsync("127.0.0.1", 2001)|};
                    connecting.Wait(TimeSpan.FromSeconds(5));
                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """);

    // =============================================================================================
    // Not flagged

    [Fact]
    public Task Plain_managed_Connect_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(EndPoint endPoint, byte[] msg)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(endPoint);
                    socket.Send(msg);
                    using var client = new TcpClient();
                    client.Connect("127.0.0.1", 2001);
                }
            }
            """);

    [Fact]
    public Task Native_connect_tested_with_throw_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Stored_result_compared_with_minus_one_and_returned_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k == -1)
                    {
                        Console.WriteLine("connect failed");
                        return k;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Non_zero_test_that_leaves_by_break_continue_or_goto_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void WriteAll(int[] fds, byte[] address, byte[] msg)
                {
                    foreach (var fd in fds)
                    {
                        int k = Libc.connect(fd, address, address.Length);
                        if (k != 0)
                        {
                            Console.WriteLine("skipping");
                            continue;
                        }

                        Libc.send(fd, msg, msg.Length, 0);
                    }

                    while (true)
                    {
                        if (Libc.connect(fds[0], address, address.Length) != 0) break;
                        Libc.send(fds[0], msg, msg.Length, 0);
                    }

                    if (Libc.connect(fds[1], address, address.Length) is < 0) goto failed;
                    Libc.send(fds[1], msg, msg.Length, 0);
                    return;
                failed:
                    Console.WriteLine("failed");
                }
            }
            """ + Libc);

    [Fact]
    public Task Native_results_returned_or_passed_on_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(int fd, byte[] address) => Libc.connect(fd, address, address.Length);

                public void OpenChecked(int fd, byte[] address)
                {
                    ThrowIfFailed(Libc.connect(fd, address, address.Length));
                    int k = Libc.connect(fd, address, address.Length);
                    ThrowIfFailed(k);
                }

                public int CreateSocket() => Libc.socket(2, 1, 0);

                private static void ThrowIfFailed(int result)
                {
                    if (result < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
            """ + Libc);

    [Fact]
    public Task Socket_descriptor_tested_before_use_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return -1;
                    }

                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0 || address.Length == 0)
                    {
                        Libc.close(fd);
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    return fd;
                }
            }
            """ + Libc);

    [Fact]
    public Task Success_branch_guarding_the_send_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    if (Libc.connect(fd, address, address.Length) == 0)
                    {
                        Libc.send(fd, msg, msg.Length, 0);
                    }
                    else
                    {
                        Console.WriteLine("connect failed");
                    }
                }
            }
            """ + Libc);

    [Fact]
    public Task Logging_branch_with_no_later_use_or_only_close_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Probe(int fd, byte[] address)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0) Console.WriteLine("port closed");
                    Libc.close(fd);
                }
            }
            """ + Libc);

    [Fact]
    public Task Failure_branch_ending_in_a_DoesNotReturn_helper_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.ComponentModel;
            using System.Diagnostics.CodeAnalysis;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (!(k >= 0))
                    {
                        Console.WriteLine("connect failed");
                        Fail();
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                [DoesNotReturn]
                private static void Fail() => throw new Win32Exception(Marshal.GetLastPInvokeError());
            }
            """ + Libc);

    [Fact]
    public Task Methods_named_like_the_api_that_are_not_socket_setup_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Threading.Tasks;

            class Connector
            {
                public int connect(int fd, byte[] address, int length) => 0;
                public static int socket(int domain, int type, int protocol) => 3;
                public Task ConnectAsync(string host) => Task.CompletedTask;
                public bool Connect(string host) => true;
            }

            class Bridge
            {
                public void Open(Connector connector, byte[] address)
                {
                    connector.connect(3, address, address.Length);
                    Connector.socket(2, 1, 0);
                    connector.ConnectAsync("device");
                    connector.Connect("device");
                }
            }
            """);

    [Fact]
    public Task Awaited_returned_passed_and_later_awaited_tasks_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public async Task OpenAsync(Socket socket, EndPoint endPoint)
                {
                    await socket.ConnectAsync(endPoint);
                    await socket.ConnectAsync(endPoint).ConfigureAwait(false);
                    var pending = socket.ConnectAsync(endPoint);
                    await Task.Delay(10);
                    await pending;
                }

                public Task OpenLaterAsync(Socket socket, EndPoint endPoint) => socket.ConnectAsync(endPoint);

                public Task OpenBothAsync(Socket a, Socket b, EndPoint endPoint)
                    => Task.WhenAll(a.ConnectAsync(endPoint), b.ConnectAsync(endPoint));

                public void OpenBlocking(TcpClient client)
                {
                    client.ConnectAsync("127.0.0.1", 2001).Wait();
                    client.ConnectAsync("127.0.0.1", 2001).GetAwaiter().GetResult();
                }
            }
            """);

    [Fact]
    public Task Checked_Wait_timeout_and_checked_pending_flag_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, EndPoint endPoint, SocketAsyncEventArgs args)
                {
                    if (!socket.ConnectAsync(endPoint).Wait(5000))
                    {
                        throw new TimeoutException();
                    }

                    var pending = socket.ConnectAsync(endPoint);
                    bool done = pending.Wait(TimeSpan.FromSeconds(1));
                    if (!done) throw new TimeoutException();

                    if (!socket.ConnectAsync(args))
                    {
                        OnConnected(args);
                    }
                }

                private static void OnConnected(SocketAsyncEventArgs args) { }
            }
            """);

    [Fact]
    public Task BeginConnect_ended_in_the_method_or_its_callback_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, EndPoint endPoint)
                {
                    var result = socket.BeginConnect(endPoint, null, null);
                    if (!result.AsyncWaitHandle.WaitOne(5000)) throw new TimeoutException();
                    socket.EndConnect(result);
                }

                public void OpenWithLambda(Socket socket, EndPoint endPoint)
                    => socket.BeginConnect(endPoint, ar => socket.EndConnect(ar), null);

                public void OpenWithCallback(Socket socket, EndPoint endPoint)
                    => socket.BeginConnect(endPoint, OnConnected, socket);

                public IAsyncResult OpenForCaller(Socket socket, EndPoint endPoint)
                    => socket.BeginConnect(endPoint, null, null);

                private static void OnConnected(IAsyncResult ar) => ((Socket)ar.AsyncState!).EndConnect(ar);
            }
            """);

    [Fact]
    public Task Catches_that_leave_record_or_are_followed_by_a_Connected_check_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Rethrows(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { socket.Connect(endPoint); }
                    catch (SocketException e) { Console.WriteLine(e.Message); throw; }
                    socket.Send(msg);
                }

                public void Returns(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { socket.Connect(endPoint); }
                    catch (SocketException) { return; }
                    socket.Send(msg);
                }

                public void RecordsFailure(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    bool connected = true;
                    try { socket.Connect(endPoint); }
                    catch (SocketException) { connected = false; }
                    if (connected) socket.Send(msg);
                }

                public void ChecksConnected(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { socket.Connect(endPoint); }
                    catch (SocketException) { Console.WriteLine("failed"); }
                    if (!socket.Connected) return;
                    socket.Send(msg);
                }

                public void OnlyDisposesAfter(Socket socket, EndPoint endPoint)
                {
                    try { socket.Connect(endPoint); }
                    catch (SocketException) { Console.WriteLine("failed"); }
                    socket.Dispose();
                }

                public void CatchesSomethingElse(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { socket.Connect(endPoint); }
                    catch (ObjectDisposedException) { Console.WriteLine("disposed"); }
                    socket.Send(msg);
                }

                public void Retries(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        try { socket.Connect(endPoint); break; }
                        catch (SocketException) { Console.WriteLine("retrying"); }
                    }

                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Failure_branch_that_records_the_failure_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    bool connected = true;
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        Console.WriteLine("connect failed");
                        connected = false;
                    }

                    if (connected) Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Conditions_that_do_not_separate_failure_from_success_are_left_alone()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                private const int EINPROGRESS = 115;

                public void OpenNonBlocking(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0 && Marshal.GetLastPInvokeError() != EINPROGRESS)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }

                public bool TryOpen(int fd, byte[] address)
                {
                    switch (Libc.connect(fd, address, address.Length))
                    {
                        case 0: return true;
                        default: return false;
                    }
                }
            }
            """ + Libc);

    // Real code (a device client retrying BeginConnect): the wait result and 'Connected' are the check.
    [Fact]
    public Task BeginConnect_followed_by_a_Connected_check_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Device
            {
                private readonly TcpClient _client = new TcpClient();

                public bool Open(string host, int port)
                {
                    IAsyncResult result = _client.BeginConnect(host, port, null, null);
                    bool success = result.AsyncWaitHandle.WaitOne(5000, true);
                    if (success && _client.Connected)
                    {
                        return true;
                    }

                    _client.Close();
                    return false;
                }
            }
            """);

    [Fact]
    public Task BeginConnect_result_handed_on_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                private IAsyncResult? _pending;

                public void Open(Socket socket, EndPoint endPoint)
                {
                    var result = socket.BeginConnect(endPoint, null, null);
                    _pending = result;
                }

                public void Finish(Socket socket) => socket.EndConnect(_pending!);
            }
            """);

    [Fact]
    public Task Incomplete_code_does_not_crash_the_analyzer()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Net;
                using System.Net.Sockets;
                using System.Runtime.InteropServices;

                class Bridge
                {
                    public void Open(Socket socket, int fd, byte[] address)
                    {
                        Libc.connect(fd, address);
                        int k = Libc.connect(fd, address, );
                        if (k < ) return;
                        socket.ConnectAsync();
                        socket.BeginConnect(null, );
                        try { socket.Connect(); } catch { }
                        socket.Send();
                        Unknown.connect(fd);
                    }
                }
                """ + Libc,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Message_names_the_call_and_the_descriptor()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0) Console.WriteLine("connect failed");
                    Libc.send(fd, msg, 80, 0);
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithSpan(8, 17, 8, 58).WithSpan(9, 20, 9, 56).WithArguments(
                "connect",
                "the failure branch only reports it and falls through to use 'fd'; leave the method on failure"));

    /// <summary>The descriptor used in a send-the-rest loop after the logging branch (the shape KS0005's fix writes).</summary>
    [Fact]
    public Task Logging_branch_falling_through_to_a_send_loop_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        Console.WriteLine("connect failed");
                    }

                    nint sent = 0;
                    while (sent < 80)
                    {
                        nint n = Libc.send(fd, msg, (int)(80 - sent), 0);
                        if (n < 0)
                        {
                            return;
                        }

                        sent += n;
                    }
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithSpan(8, 17, 8, 58).WithSpan(10, 9, 12, 10).WithArguments(
                "connect",
                "the failure branch only reports it and falls through to use 'fd'; leave the method on failure"));

    /// <summary>The loop exactly as KS0005's fix writes it: a '?:' among the send's arguments (the graph captures 'fd' first).</summary>
    [Fact]
    public Task Logging_branch_falling_through_to_a_send_loop_with_a_conditional_argument_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        Console.WriteLine("connect failed");
                    }

                    nint sent = 0;
                    while (sent < 80)
                    {
                        nint n = Libc.send(fd, sent == 0 ? msg : msg[(int)sent..], (int)(80 - sent), 0);
                        if (n < 0)
                        {
                            return;
                        }

                        sent += n;
                    }
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithSpan(8, 17, 8, 58).WithSpan(10, 9, 12, 10).WithArguments(
                "connect",
                "the failure branch only reports it and falls through to use 'fd'; leave the method on failure"));

    [Fact]
    public Task Logging_branch_whose_use_is_on_another_path_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(bool probe, int fd, byte[] address, byte[] msg)
                {
                    if (probe)
                    {
                        int k = Libc.connect(fd, address, address.Length);
                        if (k < 0) Console.WriteLine("port closed");
                    }
                    else
                    {
                        Libc.send(fd, msg, msg.Length, 0);
                    }
                }

                public void WriteOrProbe(bool probe, int fd, byte[] address, byte[] msg)
                {
                    if (probe && Libc.connect(fd, address, address.Length) != 0)
                    {
                        Console.WriteLine("still closed");
                    }
                    else if (!probe)
                    {
                        Libc.send(fd, msg, msg.Length, 0);
                    }
                }
            }
            """ + Libc);

    [Fact]
    public Task Seed_inside_a_loop_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void WriteAll(int[] fds, byte[] address, byte[] msg)
                {
                    foreach (var fd in fds)
                    {
                        var k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                        if (k == -1)
                        {
                            Console.WriteLine("connect failed");
                        }

                        Libc.send(fd, msg, msg.Length, 0);
                    }
                }
            }
            """ + Libc);

    // =============================================================================================
    // Code fixes

    [Fact]
    public Task Fix_tests_a_discarded_connect_and_throws_in_a_void_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int fd, byte[] address, byte[] message)
                {
                    {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Libc.send(fd, message, message.Length, 0);
                }
            }
            """ + Libc, """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int fd, byte[] address, byte[] message)
                {
                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, message, message.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_tests_a_discarded_connect_and_returns_minus_one_in_an_int_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(int fd, byte[] address)
                {
                    {|KS0002:Libc.Connect(fd, address, 16)|};
                    return fd;
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(int fd, byte[] address)
                {
                    if (Libc.Connect(fd, address, 16) < 0)
                    {
                        return -1;
                    }

                    return fd;
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_tests_a_stored_result_right_after_it_is_stored()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        return k;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_tests_a_result_that_was_only_printed_right_after_it_is_stored()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.WriteLine($"connect returned {k}");
                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int Other(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Console.WriteLine("connect: " + k);
                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        return k;
                    }

                    Console.WriteLine($"connect returned {k}");
                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }

                public int Other(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        return k;
                    }

                    Console.WriteLine("connect: " + k);
                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_closes_the_descriptor_the_method_opened_before_returning_the_failed_connect()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] address, byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    int rc = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    if (rc < 0)
                    {
                        Console.Error.WriteLine("connect failed");
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] address, byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    int rc = Libc.connect(fd, address, address.Length);
                    if (rc < 0)
                    {
                        Console.Error.WriteLine("connect failed");
                        Libc.close(fd);
                        return rc;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_reads_the_error_before_closing_the_descriptor_and_throwing()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(byte[] address, byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return;
                    }

                    {|KS0002:Libc.connect(fd, address, address.Length)|};
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(byte[] address, byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return;
                    }

                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        var error = Marshal.GetLastPInvokeError();
                        Libc.close(fd);
                        throw new Win32Exception(error);
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_after_a_commented_statement_keeps_the_comment_and_one_blank_line()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|}; // sock_create(PF_INET, SOCK_STREAM, ...)

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(byte[] msg)
                {
                    int fd = Libc.socket(2, 1, 0); // sock_create(PF_INET, SOCK_STREAM, ...)
                    if (fd < 0)
                    {
                        return fd;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_seed_adds_the_leave_at_the_end_of_the_logging_branch()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    if (k < 0) Console.WriteLine("connect failed");
                    Libc.send(fd, msg, 80, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k < 0)
                    {
                        Console.WriteLine("connect failed");
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, 80, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_logging_block_in_an_int_method_returns_the_result()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    if (k != 0)
                    {
                        Console.WriteLine("connect failed");
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k != 0)
                    {
                        Console.WriteLine("connect failed");
                        return k;
                    }

                    return (int)Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_awaits_ConnectAsync_in_an_async_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public async Task WriteAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|};
                    await socket.SendAsync(msg, SocketFlags.None);
                }
            }
            """, """
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public async Task WriteAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    await socket.ConnectAsync(endPoint);
                    await socket.SendAsync(msg, SocketFlags.None);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_connects_synchronously_in_a_synchronous_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    _ = {|KS0002:client.ConnectAsync("127.0.0.1", 2001)|};
                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """, """
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    client.Connect("127.0.0.1", 2001);
                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_rethrows_at_the_end_of_a_swallowing_catch()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        {|KS0002:socket.Connect(endPoint)|};
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("connect failed: " + e.SocketErrorCode);
                    }

                    socket.Send(msg);
                }
            }
            """, """
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        socket.Connect(endPoint);
                    }
                    catch (SocketException e)
                    {
                        Console.WriteLine("connect failed: " + e.SocketErrorCode);
                        throw;
                    }

                    socket.Send(msg);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_throws_TimeoutException_when_Wait_times_out()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.Wait(5000);
                    socket.Send(msg);
                }
            }
            """, """
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    if (!socket.ConnectAsync(endPoint).Wait(5000))
                    {
                        throw new TimeoutException("The connection attempt timed out.");
                    }

                    socket.Send(msg);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_throws_TimeoutException_for_a_stored_task()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    var connecting = {|KS0002:client.ConnectAsync("127.0.0.1", 2001)|};
                    connecting.Wait(TimeSpan.FromSeconds(5));
                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """, """
            using System;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    var connecting = client.ConnectAsync("127.0.0.1", 2001);
                    if (!connecting.Wait(TimeSpan.FromSeconds(5)))
                    {
                        throw new TimeoutException("The connection attempt timed out.");
                    }

                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_is_not_offered_for_a_discarded_socket_or_a_pending_flag()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(Socket socket, SocketAsyncEventArgs args)
                {
                    {|KS0002:Libc.socket(2, 1, 0)|};
                    {|KS0002:socket.ConnectAsync(args)|};
                }
            }
            """ + Libc, """
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(Socket socket, SocketAsyncEventArgs args)
                {
                    {|KS0002:Libc.socket(2, 1, 0)|};
                    {|KS0002:socket.ConnectAsync(args)|};
                }
            }
            """ + Libc);

    [Fact]
    public Task Fix_tests_an_untested_socket_descriptor_and_returns_it_from_an_int_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(byte[] address)
                {
                    int fd = {|KS0002:Libc.socket(2, 1, 0)|};
                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        return -1;
                    }

                    return fd;
                }
            }
            """ + Libc, """
            using System.Runtime.InteropServices;

            class Bridge
            {
                public int Open(byte[] address)
                {
                    int fd = Libc.socket(2, 1, 0);
                    if (fd < 0)
                    {
                        return fd;
                    }

                    if (Libc.connect(fd, address, address.Length) < 0)
                    {
                        return -1;
                    }

                    return fd;
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_awaits_a_discarded_task_inside_an_async_lambda()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public Func<Task> Opener(Socket socket, EndPoint endPoint)
                    => async () =>
                    {
                        _ = {|KS0002:socket.ConnectAsync(endPoint)|};
                        await Task.Yield();
                    };
            }
            """, """
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                public Func<Task> Opener(Socket socket, EndPoint endPoint)
                    => async () =>
                    {
                        await socket.ConnectAsync(endPoint);
                        await Task.Yield();
                    };
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_connects_synchronously_instead_of_a_ConfigureAwait_chain()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, IPAddress address)
                {
                    {|KS0002:socket.ConnectAsync(address, 2001)|}.ConfigureAwait(false);
                }
            }
            """, """
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Open(Socket socket, IPAddress address)
                {
                    socket.Connect(address, 2001);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_is_not_offered_when_no_synchronous_overload_takes_the_same_arguments()
    {
        const string Source = """
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            class Bridge
            {
                public void Open(Socket socket, EndPoint endPoint, CancellationToken token)
                {
                    {|KS0002:socket.ConnectAsync(endPoint, token)|};
                }
            }
            """;
        return VerifyCS.VerifyCodeFixAsync(Source, Source);
    }

    [Fact]
    public Task Fix_direct_test_that_only_logs_throws_at_the_end_of_its_block()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    if ({|KS0002:Libc.connect(fd, address, address.Length)|} != 0)
                    {
                        Console.Error.WriteLine("connect failed");
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    if (Libc.connect(fd, address, address.Length) != 0)
                    {
                        Console.Error.WriteLine("connect failed");
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_logging_else_branch_leaves_without_disturbing_the_layout()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = {|KS0002:Libc.connect(fd, address, address.Length)|};
                    if (k >= 0) Console.WriteLine("connected");
                    else Console.WriteLine("connect failed");
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    int k = Libc.connect(fd, address, address.Length);
                    if (k >= 0) Console.WriteLine("connected");
                    else
                    {
                        Console.WriteLine("connect failed");
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_connects_synchronously_inside_a_lock_where_await_is_not_allowed()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                private readonly object _gate = new object();

                public async Task OpenAsync(Socket socket, EndPoint endPoint)
                {
                    lock (_gate)
                    {
                        {|KS0002:socket.ConnectAsync(endPoint)|};
                    }

                    await Task.Yield();
                }
            }
            """, """
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Bridge
            {
                private readonly object _gate = new object();

                public async Task OpenAsync(Socket socket, EndPoint endPoint)
                {
                    lock (_gate)
                    {
                        socket.Connect(endPoint);
                    }

                    await Task.Yield();
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_rethrows_in_every_swallowing_catch_of_a_one_line_try()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { {|KS0002:socket.Connect(endPoint)|}; } catch (SocketException) { Console.WriteLine("refused"); } catch (Exception e) { Console.WriteLine(e); }
                    socket.Send(msg);
                }
            }
            """, """
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Bridge
            {
                public void Write(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try { socket.Connect(endPoint); }
                    catch (SocketException)
                    {
                        Console.WriteLine("refused");
                        throw;
                    }
                    catch (Exception e)
                    {
                        Console.WriteLine(e);
                        throw;
                    }
                    socket.Send(msg);
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    // =============================================================================================
    // Fix all

    [Fact]
    public Task Fix_all_tests_every_discarded_connect_in_a_document()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int first, int second, byte[] address)
                {
                    {|KS0002:Libc.connect(first, address, address.Length)|};
                    {|KS0002:Libc.connect(second, address, address.Length)|};
                }
            }
            """ + Libc, """
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Bridge
            {
                public void Open(int first, int second, byte[] address)
                {
                    if (Libc.connect(first, address, address.Length) < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    if (Libc.connect(second, address, address.Length) < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
            """ + Libc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Fix_all_awaits_unobserved_connects_across_documents()
    {
        var test = new VerifyCS.Test
        {
            CodeActionEquivalenceKey = IgnoredSocketSetupFix.EquivalenceKey,
        };
        test.TestState.Sources.Add("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class First
            {
                public async Task OpenAsync(Socket a, Socket b, EndPoint endPoint)
                {
                    {|KS0002:a.ConnectAsync(endPoint)|};
                    {|KS0002:b.ConnectAsync(endPoint)|};
                }
            }
            """);
        test.TestState.Sources.Add("""
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Second
            {
                public async Task OpenAsync(TcpClient client)
                {
                    {|KS0002:client.ConnectAsync("127.0.0.1", 2001)|};
                }
            }
            """);
        test.FixedState.Sources.Add("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class First
            {
                public async Task OpenAsync(Socket a, Socket b, EndPoint endPoint)
                {
                    await a.ConnectAsync(endPoint);
                    await b.ConnectAsync(endPoint);
                }
            }
            """);
        test.FixedState.Sources.Add("""
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Second
            {
                public async Task OpenAsync(TcpClient client)
                {
                    await client.ConnectAsync("127.0.0.1", 2001);
                }
            }
            """);
        return test.RunAsync();
    }

    // =============================================================================================
    // Review: look-alikes a naive rule would flag

    /// <summary>libc with poll and errno constants, as a non-blocking connector declares them.</summary>
    private const string NonBlockingLibc = """

        static class Posix
        {
            public const int EINPROGRESS = 115;
            public const int SOCKET_ERROR = -1;

            [DllImport("libc", SetLastError = true)]
            public static extern int connect(int fd, byte[] address, int length);

            [DllImport("libc", SetLastError = true)]
            public static extern int poll(PollFd[] fds, int count, int timeout);

            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte[] buffer, nint length, int flags);

            [DllImport("libc")]
            public static extern int close(int fd);
        }

        struct PollFd { public int fd; public short events; public short revents; }
        """;

    [Fact]
    public Task Review_EINPROGRESS_branch_that_leaves_on_other_errors_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public int Open(int fd, byte[] address, byte[] msg)
                {
                    int rc = Posix.connect(fd, address, address.Length);
                    if (rc < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno != Posix.EINPROGRESS)
                        {
                            Posix.close(fd);
                            return -errno;
                        }

                        var fds = new[] { new PollFd { fd = fd, events = 4 } };
                        if (Posix.poll(fds, 1, 5000) <= 0)
                        {
                            return -110;
                        }
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                    return 0;
                }

                public void Direct(int fd, byte[] address, byte[] msg)
                {
                    if (Posix.connect(fd, address, address.Length) == Posix.SOCKET_ERROR)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        Console.WriteLine($"connect: {errno}");
                        if (errno != Posix.EINPROGRESS)
                        {
                            throw new InvalidOperationException("connect failed: " + errno);
                        }
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_failure_branch_calling_a_throw_helper_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            static class ThrowHelper
            {
                public static void ThrowSocketException(int errno) => throw new SocketException(errno);
            }

            class Connector
            {
                public void Open(int fd, byte[] address, byte[] msg)
                {
                    int rc = Posix.connect(fd, address, address.Length);
                    if (rc < 0)
                    {
                        ThrowHelper.ThrowSocketException(Marshal.GetLastPInvokeError());
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                }

                public void Direct(int fd, byte[] address, byte[] msg)
                {
                    if (Posix.connect(fd, address, address.Length) != 0)
                        ThrowLastError();
                    Posix.send(fd, msg, msg.Length, 0);
                }

                private static void ThrowLastError()
                {
                    throw new SocketException(Marshal.GetLastPInvokeError());
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_result_checked_by_a_helper_or_named_constant_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void ViaHelper(int fd, byte[] address, byte[] msg)
                {
                    int rc = Posix.connect(fd, address, address.Length);
                    ThrowIfError(rc);
                    Posix.send(fd, msg, msg.Length, 0);
                }

                public void ViaExtension(int fd, byte[] address, byte[] msg)
                {
                    Posix.connect(fd, address, address.Length).ThrowIfFailed("connect");
                    Posix.send(fd, msg, msg.Length, 0);
                }

                public bool ViaConstant(int fd, byte[] address, byte[] msg)
                {
                    if (Posix.connect(fd, address, address.Length) == Posix.SOCKET_ERROR)
                    {
                        Console.WriteLine("connect failed: " + Marshal.GetLastPInvokeError());
                        return false;
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                    return true;
                }

                public bool NonZero(int fd, byte[] address, byte[] msg)
                {
                    if (Posix.connect(fd, address, address.Length) != 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        Console.Error.WriteLine($"connect: errno {errno}");
                        return false;
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                    return true;
                }

                private static void ThrowIfError(int rc)
                {
                    if (rc < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }

            static class Checks
            {
                public static void ThrowIfFailed(this int rc, string what)
                {
                    if (rc < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), what);
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_result_assigned_inside_the_condition_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Connector
            {
                public int Open(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    if ((rc = Posix.connect(fd, address, address.Length)) < 0)
                    {
                        return rc;
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                    return 0;
                }

                public void Throws(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    if ((rc = Posix.connect(fd, address, address.Length)) == -1)
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    Posix.send(fd, msg, msg.Length, 0);
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_logging_branch_inside_a_lambda_whose_use_is_on_the_success_path_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using System.Runtime.InteropServices;

            class Connector
            {
                public Task OpenAsync(int fd, byte[] address, byte[] msg)
                    => Task.Run(() =>
                    {
                        int rc = Posix.connect(fd, address, address.Length);
                        if (rc < 0)
                        {
                            Console.WriteLine("connect failed");
                        }
                        else
                        {
                            Posix.send(fd, msg, msg.Length, 0);
                        }
                    });

                public void Open(int fd, byte[] address, byte[] msg)
                {
                    Run();

                    void Run()
                    {
                        if (Posix.connect(fd, address, address.Length) < 0)
                        {
                            Console.WriteLine("connect failed");
                        }
                        else
                        {
                            Posix.send(fd, msg, msg.Length, 0);
                        }
                    }
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_non_blocking_managed_connect_that_expects_WouldBlock_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Connector
            {
                public void Filtered(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    socket.Blocking = false;
                    try
                    {
                        socket.Connect(endPoint);
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
                    {
                        // connect is in progress; completion is polled below
                    }

                    if (!socket.Poll(5_000_000, SelectMode.SelectWrite))
                    {
                        throw new TimeoutException();
                    }

                    socket.Send(msg);
                }

                public void RethrowsOthers(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    socket.Blocking = false;
                    try
                    {
                        socket.Connect(endPoint);
                    }
                    catch (SocketException ex)
                    {
                        if (ex.SocketErrorCode != SocketError.WouldBlock && ex.SocketErrorCode != SocketError.InProgress)
                        {
                            throw;
                        }
                    }

                    socket.Poll(-1, SelectMode.SelectWrite);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Review_observed_ConnectAsync_tasks_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;
            using System.Threading.Tasks;

            class Connector
            {
                public Task BothAsync(Socket a, Socket b, EndPoint endPoint)
                    => Task.WhenAll(a.ConnectAsync(endPoint), b.ConnectAsync(endPoint));

                public async Task WithTimeoutAsync(Socket socket, EndPoint endPoint)
                {
                    var connect = socket.ConnectAsync(endPoint);
                    if (await Task.WhenAny(connect, Task.Delay(5000)) != connect)
                    {
                        socket.Dispose();
                        throw new TimeoutException();
                    }

                    await connect;
                }

                public async Task ManyAsync(Socket[] sockets, EndPoint endPoint)
                {
                    var tasks = new Task[] { sockets[0].ConnectAsync(endPoint), sockets[1].ConnectAsync(endPoint) };
                    await Task.WhenAll(tasks);
                }

                public ValueTask OpenAsync(Socket socket, EndPoint endPoint, CancellationToken token)
                    => socket.ConnectAsync(endPoint, token);

                public async Task CancellableAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await socket.ConnectAsync(endPoint, cts.Token);
                    await socket.SendAsync(msg, SocketFlags.None);
                }

                public void Blocking(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    socket.ConnectAsync(endPoint).GetAwaiter().GetResult();
                    socket.Send(msg);
                }

                public Task OffloadedAsync(Socket socket, EndPoint endPoint)
                    => Task.Run(() => socket.ConnectAsync(endPoint));

                public async Task WrapsAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    try
                    {
                        await socket.ConnectAsync(endPoint);
                    }
                    catch (SocketException ex)
                    {
                        Console.WriteLine(ex.Message);
                        throw new IOException($"Cannot connect to {endPoint}", ex);
                    }

                    await socket.SendAsync(msg, SocketFlags.None);
                }

                public async Task<Socket?> TryOpenAsync(EndPoint endPoint)
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        await socket.ConnectAsync(endPoint);
                    }
                    catch (SocketException)
                    {
                        socket.Dispose();
                        return null;
                    }

                    return socket;
                }
            }
            """);

    [Fact]
    public Task Review_retry_wrappers_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            static class Retry
            {
                public static async Task ExecuteAsync(Func<Task> action, int attempts)
                {
                    for (var i = 1; ; i++)
                    {
                        try { await action(); return; }
                        catch (SocketException) when (i < attempts) { await Task.Delay(100 * i); }
                    }
                }

                public static void Execute(Action action) => action();
            }

            class Connector
            {
                public async Task OpenAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    await Retry.ExecuteAsync(() => socket.ConnectAsync(endPoint), 3);
                    await socket.SendAsync(msg, SocketFlags.None);
                }

                public void Open(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    Retry.Execute(() => socket.Connect(endPoint));
                    socket.Send(msg);
                }

                public async Task WhileAsync(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    var attempt = 0;
                    while (true)
                    {
                        try
                        {
                            await socket.ConnectAsync(endPoint);
                            break;
                        }
                        catch (SocketException) when (++attempt < 5)
                        {
                            await Task.Delay(200);
                        }
                    }

                    await socket.SendAsync(msg, SocketFlags.None);
                }
            }
            """);

    // =============================================================================================
    // Review: shapes RULES.md requires

    [Fact]
    public Task Review_discarded_connect_in_expression_bodied_members_and_lambdas_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, byte[] address) => {|KS0002:Posix.connect(fd, address, address.Length)|};

                public void OpenLater(Socket socket, EndPoint endPoint) => {|KS0002:socket.ConnectAsync(endPoint)|};

                public Action Opener(Socket socket, EndPoint endPoint) => () => { {|KS0002:socket.ConnectAsync(endPoint)|}; };
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_ignored_timed_wait_through_AsTask_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            class Connector
            {
                public void Open(Socket socket, EndPoint endPoint, CancellationToken token, byte[] msg)
                {
                    {|KS0002:socket.ConnectAsync(endPoint, token)|}.AsTask().Wait(3000);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Review_swallowed_TcpClient_connect_then_GetStream_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net.Sockets;

            class Connector
            {
                public void Write(TcpClient client, byte[] msg)
                {
                    try
                    {
                        {|KS0002:client.Connect("device.local", 2001)|};
                    }
                    catch (SocketException ex)
                    {
                        Console.WriteLine(ex.Message);
                    }

                    client.GetStream().Write(msg, 0, msg.Length);
                }
            }
            """);

    [Fact]
    public Task Review_named_constant_test_whose_branch_only_logs_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    var rc = {|KS0002:Posix.connect(fd, address, address.Length)|};
                    if (rc == Posix.SOCKET_ERROR)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        Console.WriteLine($"connect failed: {errno}");
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                }
            }
            """ + NonBlockingLibc);

    // =============================================================================================
    // One result local assigned in exclusive branches (found by the quiet-code pass on new interop code)

    [Fact]
    public Task Result_assigned_in_either_branch_of_an_if_and_tested_after_it_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, bool v4, byte[] address4, byte[] address6, byte[] msg)
                {
                    int rc;
                    if (v4)
                    {
                        rc = Libc.connect(fd, address4, address4.Length);
                    }
                    else
                    {
                        rc = Libc.connect(fd, address6, address6.Length);
                    }

                    if (rc < 0)
                    {
                        throw new InvalidOperationException("connect failed: " + Marshal.GetLastPInvokeError());
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Result_assigned_in_either_branch_and_handed_to_a_throwing_helper_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, bool v4, byte[] address4, byte[] address6, byte[] msg)
                {
                    int result = v4
                        ? Libc.connect(fd, address4, address4.Length)
                        : Libc.connect(fd, address6, address6.Length);
                    ThrowOnError(result);
                    Libc.send(fd, msg, msg.Length, 0);
                }

                public void OpenEither(int fd, bool v4, byte[] address4, byte[] address6, byte[] msg)
                {
                    int result;
                    if (v4) result = Libc.connect(fd, address4, address4.Length);
                    else result = Libc.connect(fd, address6, address6.Length);
                    ThrowOnError(result);
                    Libc.send(fd, msg, msg.Length, 0);
                }

                private static void ThrowOnError(int result)
                {
                    if (result != 0) throw new InvalidOperationException("connect failed: " + Marshal.GetLastPInvokeError());
                }
            }
            """ + Libc);

    [Fact]
    public Task Result_assigned_in_each_section_of_a_switch_and_tested_after_it_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, int family, byte[] address4, byte[] address6, byte[] msg)
                {
                    int rc;
                    switch (family)
                    {
                        case 2:
                            rc = Libc.connect(fd, address4, address4.Length);
                            break;
                        case 10:
                            rc = Libc.connect(fd, address6, address6.Length);
                            break;
                        default:
                            throw new ArgumentOutOfRangeException(nameof(family));
                    }

                    if (rc != 0) return;
                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc);

    [Fact]
    public Task Result_of_one_branch_untested_while_the_other_branch_tests_its_own_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, bool v4, byte[] address4, byte[] address6, byte[] msg)
                {
                    int rc;
                    if (v4)
                    {
                        rc = {|#0:Libc.connect(fd, address4, address4.Length)|};
                    }
                    else
                    {
                        rc = Libc.connect(fd, address6, address6.Length);
                        if (rc < 0) return;
                    }

                    Libc.send(fd, msg, msg.Length, 0);
                }
            }
            """ + Libc,
            VerifyCS.Diagnostic("KS0002").WithLocation(0).WithArguments(
                "connect", "'rc' is never tested for failure before 'fd' is used; test it and leave the method on failure"));

    // =============================================================================================
    // Review: fix correctness

    [Fact]
    public Task Review_fix_of_a_discarded_connect_in_an_if_with_else_keeps_the_else_on_its_if()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, byte[] address, bool ready)
                {
                    if (ready)
                        {|KS0002:Posix.connect(fd, address, address.Length)|};
                    else
                        Console.WriteLine("not ready");
                }
            }
            """ + NonBlockingLibc, """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Open(int fd, byte[] address, bool ready)
                {
                    if (ready)
                    {
                        if (Posix.connect(fd, address, address.Length) < 0)
                        {
                            throw new Win32Exception(Marshal.GetLastPInvokeError());
                        }
                    }
                    else
                        Console.WriteLine("not ready");
                }
            }
            """ + NonBlockingLibc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Review_fix_in_a_lambda_returning_int_returns_minus_one()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public Func<int> Opener(int fd, byte[] address) => () =>
                {
                    {|KS0002:Posix.connect(fd, address, address.Length)|};
                    return fd;
                };
            }
            """ + NonBlockingLibc, """
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public Func<int> Opener(int fd, byte[] address) => () =>
                {
                    if (Posix.connect(fd, address, address.Length) < 0)
                    {
                        return -1;
                    }

                    return fd;
                };
            }
            """ + NonBlockingLibc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Review_fix_in_a_checked_property_getter_returns_minus_one()
        => VerifyCS.VerifyCodeFixAsync("""
            using System.Runtime.InteropServices;

            class Connector
            {
                private readonly int fd;
                private readonly byte[] address = new byte[16];

                public int Descriptor
                {
                    get
                    {
                        checked
                        {
                            {|KS0002:Posix.connect(fd, address, address.Length)|};
                            return fd;
                        }
                    }
                }
            }
            """ + NonBlockingLibc, """
            using System.Runtime.InteropServices;

            class Connector
            {
                private readonly int fd;
                private readonly byte[] address = new byte[16];

                public int Descriptor
                {
                    get
                    {
                        checked
                        {
                            if (Posix.connect(fd, address, address.Length) < 0)
                            {
                                return -1;
                            }

                            return fd;
                        }
                    }
                }
            }
            """ + NonBlockingLibc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Review_fix_awaits_in_a_catch_block_of_an_async_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Connector
            {
                public async Task ReconnectAsync(Socket socket, EndPoint primary, EndPoint fallback)
                {
                    try
                    {
                        await socket.ConnectAsync(primary);
                    }
                    catch (SocketException)
                    {
                        {|KS0002:socket.ConnectAsync(fallback)|};
                    }
                }
            }
            """, """
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Connector
            {
                public async Task ReconnectAsync(Socket socket, EndPoint primary, EndPoint fallback)
                {
                    try
                    {
                        await socket.ConnectAsync(primary);
                    }
                    catch (SocketException)
                    {
                        await socket.ConnectAsync(fallback);
                    }
                }
            }
            """, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Review_swallowing_catch_in_one_switch_case_and_send_in_another_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            enum Command { Connect, Send }

            class Session
            {
                private readonly Socket socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

                public void Handle(Command command, EndPoint endPoint, byte[] payload)
                {
                    switch (command)
                    {
                        case Command.Connect:
                            try { socket.Connect(endPoint); }
                            catch (SocketException ex) { Console.WriteLine(ex.Message); }
                            break;
                        case Command.Send:
                            socket.Send(payload);
                            break;
                    }
                }

                public void Toggle(bool open, EndPoint endPoint, byte[] payload)
                {
                    if (open)
                    {
                        try { socket.Connect(endPoint); }
                        catch (SocketException ex) { Console.WriteLine(ex.Message); }
                    }
                    else
                    {
                        socket.Send(payload);
                    }
                }
            }
            """);

    [Fact]
    public Task Review_swallowing_catch_in_top_level_statements_is_flagged()
        => VerifyCS.VerifyProgramAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                {|KS0002:socket.Connect(new IPEndPoint(IPAddress.Loopback, 2001))|};
            }
            catch (SocketException ex)
            {
                Console.WriteLine(ex.Message);
            }

            socket.Send(new byte[] { 1, 2, 3 });
            """);

    [Fact]
    public Task Review_use_guarded_by_a_flag_set_on_success_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public void Write(int fd, byte[] address, byte[] msg)
                {
                    var connected = false;
                    int rc = Posix.connect(fd, address, address.Length);
                    if (rc < 0)
                    {
                        Console.WriteLine("connect failed: " + Marshal.GetLastPInvokeError());
                    }
                    else
                    {
                        connected = true;
                    }

                    if (connected)
                    {
                        Posix.send(fd, msg, msg.Length, 0);
                    }
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_logging_branch_in_a_lambda_with_a_later_success_test_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using System.Runtime.InteropServices;

            class Connector
            {
                public Task OpenAsync(int fd, byte[] address, byte[] msg)
                    => Task.Run(() =>
                    {
                        int rc = Posix.connect(fd, address, address.Length);
                        if (rc < 0) Console.WriteLine("connect failed");
                        if (rc == 0) Posix.send(fd, msg, msg.Length, 0);
                    });

                public void Open(int fd, byte[] address, byte[] msg)
                {
                    Run(fd);

                    void Run(int descriptor)
                    {
                        int rc = Posix.connect(descriptor, address, address.Length);
                        if (rc < 0) Console.WriteLine("connect failed");
                        if (rc >= 0) Posix.send(descriptor, msg, msg.Length, 0);
                    }
                }
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_logging_branch_in_a_lambda_that_falls_through_to_the_send_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using System.Runtime.InteropServices;

            class Connector
            {
                public Task OpenAsync(int fd, byte[] address, byte[] msg)
                    => Task.Run(() =>
                    {
                        int rc = {|KS0002:Posix.connect(fd, address, address.Length)|};
                        if (rc < 0) Console.WriteLine("connect failed");
                        Posix.send(fd, msg, msg.Length, 0);
                    });
            }
            """ + NonBlockingLibc);

    [Fact]
    public Task Review_discarded_winsock_connect_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Winsock
            {
                [DllImport("ws2_32.dll", SetLastError = true)]
                public static extern int connect(IntPtr s, byte[] name, int namelen);
            }

            class Connector
            {
                public void Open(IntPtr s, byte[] name) => {|KS0002:Winsock.connect(s, name, name.Length)|};
            }
            """);

    [Fact]
    public Task Review_ignored_timed_waits_with_TimeSpan_or_token_are_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading;

            class Connector
            {
                public void Open(Socket socket, EndPoint endPoint, byte[] msg, CancellationToken token)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.Wait(TimeSpan.FromSeconds(3));
                    socket.Send(msg);
                }

                public void OpenCancellable(Socket socket, EndPoint endPoint, byte[] msg, CancellationToken token)
                {
                    {|KS0002:socket.ConnectAsync(endPoint)|}.Wait(3000, token);
                    socket.Send(msg);
                }
            }
            """);

    [Fact]
    public Task Review_tasks_observed_by_continuations_or_fault_checks_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class Connector
            {
                public void Open(Socket socket, EndPoint endPoint)
                {
                    socket.ConnectAsync(endPoint).ContinueWith(
                        t => Console.WriteLine(t.Exception),
                        TaskContinuationOptions.OnlyOnFaulted);
                }

                public bool TryOpen(Socket socket, EndPoint endPoint)
                {
                    var connect = socket.ConnectAsync(endPoint);
                    connect.Wait(5000);
                    return connect.IsCompletedSuccessfully;
                }

                public bool OpenWithin(Socket socket, EndPoint endPoint, int milliseconds)
                    => socket.ConnectAsync(endPoint).Wait(milliseconds);
            }
            """);

    [Fact]
    public async Task Review_fix_of_a_discarded_connect_in_top_level_statements_throws()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Runtime.InteropServices;

                var address = new byte[16];
                {|KS0002:Posix.connect(3, address, address.Length)|};
                Posix.send(3, address, 1, 0);
                """ + NonBlockingLibc,
            FixedCode = """
                using System.ComponentModel;
                using System.Runtime.InteropServices;

                var address = new byte[16];
                if (Posix.connect(3, address, address.Length) < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                Posix.send(3, address, 1, 0);
                """ + NonBlockingLibc,
            CodeActionEquivalenceKey = IgnoredSocketSetupFix.EquivalenceKey,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.FixedState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        await test.RunAsync();
    }

    [Fact]
    public Task Review_fix_of_a_condition_assignment_that_only_logs_returns_the_result()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public int Open(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    if ((rc = {|KS0002:Posix.connect(fd, address, address.Length)|}) < 0)
                        Console.WriteLine("connect failed");
                    Posix.send(fd, msg, msg.Length, 0);
                    return 0;
                }
            }
            """ + NonBlockingLibc, """
            using System;
            using System.Runtime.InteropServices;

            class Connector
            {
                public int Open(int fd, byte[] address, byte[] msg)
                {
                    int rc;
                    if ((rc = Posix.connect(fd, address, address.Length)) < 0)
                    {
                        Console.WriteLine("connect failed");
                        return rc;
                    }

                    Posix.send(fd, msg, msg.Length, 0);
                    return 0;
                }
            }
            """ + NonBlockingLibc, IgnoredSocketSetupFix.EquivalenceKey);

    [Fact]
    public Task Review_BeginConnect_callback_lambda_that_hands_the_result_to_a_handler_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Connector
            {
                private readonly Socket socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

                public void Open(EndPoint endPoint)
                {
                    socket.BeginConnect(endPoint, ar => OnConnected(ar), null);
                }

                public void OpenWithState(TcpClient client, string host)
                {
                    client.BeginConnect(host, 2001, result => Complete(client, result), null);
                }

                private void OnConnected(IAsyncResult ar)
                {
                    socket.EndConnect(ar);
                }

                private static void Complete(TcpClient client, IAsyncResult result)
                {
                    client.EndConnect(result);
                }
            }
            """);

    [Fact]
    public Task Review_BeginConnect_callback_lambda_that_ignores_the_result_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Net;
            using System.Net.Sockets;

            class Connector
            {
                public void Open(Socket socket, EndPoint endPoint, byte[] msg)
                {
                    {|KS0002:socket.BeginConnect(endPoint, ar => Console.WriteLine("connected"), null)|};
                }
            }
            """);

    [Fact]
    public async Task Fix_all_adds_missing_usings_once_for_several_fixes_in_a_document()
    {
        // The P/Invokes live in another file, so the fixed file lacks both System.ComponentModel and
        // System.Runtime.InteropServices, and each of the two fixes adds both.
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    class Bridge
                    {
                        public void Open(int first, int second, byte[] address)
                        {
                            Console.WriteLine("connecting");
                            {|KS0002:Libc.connect(first, address, address.Length)|};
                            {|KS0002:Libc.connect(second, address, address.Length)|};
                        }
                    }
                    """,
                    "using System.Runtime.InteropServices;\n" + Libc,
                },
            },
            FixedState =
            {
                Sources =
                {
                    """
                    using System;
                    using System.ComponentModel;
                    using System.Runtime.InteropServices;

                    class Bridge
                    {
                        public void Open(int first, int second, byte[] address)
                        {
                            Console.WriteLine("connecting");
                            if (Libc.connect(first, address, address.Length) < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }

                            if (Libc.connect(second, address, address.Length) < 0)
                            {
                                throw new Win32Exception(Marshal.GetLastPInvokeError());
                            }
                        }
                    }
                    """,
                    "using System.Runtime.InteropServices;\n" + Libc,
                },
            },
            CodeActionEquivalenceKey = IgnoredSocketSetupFix.EquivalenceKey,
        };
        await test.RunAsync();
    }
}
