using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Fixes;
using Microsoft.CodeAnalysis.Testing;
using VerifyCS = KernelSafety.Analyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    KernelSafety.Analyzers.Rules.UncheckedCopyLengthAnalyzer,
    KernelSafety.CodeFixes.Fixes.UncheckedCopyLengthFix>;

namespace KernelSafety.Analyzers.Tests.Rules;

public class KS0001_UncheckedCopyLengthTests
{
    // ---------------------------------------------------------------- flagged

    [Fact]
    public Task Seed_constant_count_from_callers_buffer_whose_length_is_never_checked()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int DeviceWrite(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, 80)|};
                    return len;
                }
            }
            """);

    [Fact]
    public Task Seed_marshal_copy_from_callers_pointer_ignores_its_length()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Device
            {
                static byte[] msg = new byte[80];

                int DeviceWrite(IntPtr buff, int len)
                {
                    {|KS0001:Marshal.Copy(buff, msg, 0, 80)|};
                    return len;
                }
            }
            """);

    [Fact]
    public Task Caller_length_copied_into_a_fixed_size_field()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                }
            }
            """);

    [Fact]
    public Task Guard_that_only_logs_does_not_bound_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                const int Size = 80;
                static byte[] msg = new byte[Size];

                int Write(byte[] buff, int len)
                {
                    if (len > Size)
                    {
                        Console.WriteLine("message too long");
                    }

                    {|KS0001:Array.Copy(buff, 0, msg, 0, len)|};
                    return len;
                }
            }
            """);
}
