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
    public Task Utf8_literal_longer_than_its_destination_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class Wire
            {
                private readonly byte[] _greeting = new byte[4];

                public void Tag(Span<byte> data, int index)
                {
                    {|KS0001:"#bundle-and-more"u8.CopyTo(data.Slice(index, 8))|};
                    {|KS0001:"HELLO"u8.CopyTo(_greeting)|};
                    {|KS0001:"\u00e9t\u00e9"u8.CopyTo(data.Slice(index + 8, 4))|};
                }
            }
            """);

    [Fact]
    public Task Copies_of_one_body_are_each_judged_by_the_size_of_the_same_local()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                void Small()
                {
                    var data = new byte[32];
                    var msg = new byte[16];
                    Buffer.BlockCopy(data, 0, msg, 0, 8);
                    {|KS0001:Buffer.BlockCopy(data, 0, msg, 0, 32)|};
                    Action late = () => Buffer.BlockCopy(data, 0, msg, 0, 16);
                }

                void Large()
                {
                    var data = new byte[32];
                    var msg = new byte[64];
                    Buffer.BlockCopy(data, 0, msg, 0, 32);
                    {|KS0001:Buffer.BlockCopy(data, 0, msg, 0, 80)|};
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

    [Fact]
    public Task Whole_caller_array_copied_into_a_fixed_size_field_with_three_argument_array_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Frame
            {
                private readonly byte[] payload = new byte[64];

                public void Load(byte[] data)
                {
                    {|KS0001:Array.Copy(data, payload, data.Length)|};
                }
            }
            """);

    [Fact]
    public Task Span_slice_with_caller_length_copied_into_fixed_size_array()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:buff.AsSpan(0, len).CopyTo(msg)|};
                }
            }
            """);

    [Fact]
    public Task Caller_span_copied_into_a_stackalloc_buffer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Parser
            {
                int Checksum(ReadOnlySpan<byte> data)
                {
                    Span<byte> scratch = stackalloc byte[64];
                    {|KS0001:data.CopyTo(scratch)|};
                    return scratch[0];
                }
            }
            """);

    [Fact]
    public Task Slice_with_caller_count_copied_into_stackalloc()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Parser
            {
                void Parse(ReadOnlySpan<byte> data, int headerLength)
                {
                    Span<byte> header = stackalloc byte[16];
                    {|KS0001:data.Slice(0, headerLength).CopyTo(header)|};
                }
            }
            """);

    [Fact]
    public Task Source_length_copied_from_a_non_zero_offset()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Packet
            {
                byte[] Strip(byte[] packet)
                {
                    var body = new byte[packet.Length];
                    {|KS0001:Array.Copy(packet, 1, body, 0, packet.Length)|};
                    return body;
                }
            }
            """);

    [Fact]
    public Task Count_that_may_be_the_source_length_from_a_non_zero_offset_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Report
            {
                // A report's payload after its id byte: clamped to the whole input, not to what follows the id.
                byte[] Payload(byte[] input, int reportSize)
                {
                    var data = new byte[reportSize];
                    var dataLength = reportSize - 1;
                    if (input.Length < reportSize - 1) dataLength = input.Length;
                    {|#0:Array.Copy(input, 1, data, 0, dataLength)|};
                    return data;
                }

                byte[] Body(byte[] packet, int want)
                {
                    var body = new byte[want];
                    int n = Math.Min(want, packet.Length);
                    {|#1:Array.Copy(packet, 2, body, 0, n)|};
                    {|#2:Buffer.BlockCopy(packet, 2, body, 0, Math.Min(packet.Length, want))|};
                    return body;
                }

                // A parameter assigned the clamp.
                int Into(byte[] src, byte[] dst, int n)
                {
                    n = Math.Min(dst.Length, src.Length);
                    {|#3:Array.Copy(src, 1, dst, 0, n)|};
                    return n;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "dataLength", "elements", "'dataLength' can be as large as 'input.Length' and the copy starts at offset '1' of 'input', so it can run past the end of 'input'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'packet.Length' and the copy starts at offset '2' of 'packet', so it can run past the end of 'packet'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Buffer.BlockCopy", "Math.Min(packet.Length, want)", "bytes", "'Math.Min(packet.Length, want)' can be as large as 'packet.Length' and the copy starts at offset '2' of 'packet', so it can run past the end of 'packet'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(3).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'src.Length' and the copy starts at offset '1' of 'src', so it can run past the end of 'src'"));

    [Fact]
    public Task Count_clamped_to_what_the_offset_leaves_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Report
            {
                byte[] Payload(byte[] input, int reportSize)
                {
                    var data = new byte[reportSize];
                    var dataLength = reportSize - 1;
                    if (input.Length - 1 < reportSize - 1) dataLength = input.Length - 1;
                    Array.Copy(input, 1, data, 0, dataLength);
                    return data;
                }

                byte[] Body(byte[] packet, int want)
                {
                    var body = new byte[want];
                    int n = Math.Min(want, packet.Length - 2);
                    Array.Copy(packet, 2, body, 0, n);
                    return body;
                }

                byte[] Checked(byte[] packet, int want)
                {
                    if (want < 0 || want > packet.Length - 2) throw new ArgumentOutOfRangeException(nameof(want));
                    var body = new byte[want];
                    int n = Math.Min(want, packet.Length);
                    Array.Copy(packet, 2, body, 0, n);
                    return body;
                }

                byte[] FromZero(byte[] packet, int want)
                {
                    var body = new byte[want];
                    Array.Copy(packet, 0, body, 0, Math.Min(want, packet.Length));
                    return body;
                }

                // The whole length is ruled out by an equality the author wrote: n < packet.Length.
                int EqualityExit(byte[] packet, byte[] dst)
                {
                    int n = Math.Min(dst.Length, packet.Length);
                    if (n == packet.Length) return -1;
                    Array.Copy(packet, 1, dst, 0, n);
                    return n;
                }

                int NotEqualBlock(byte[] packet, byte[] dst)
                {
                    int n = Math.Min(dst.Length, packet.Length);
                    if (n != packet.Length)
                    {
                        Array.Copy(packet, 1, dst, 0, n);
                        return n;
                    }

                    return -1;
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_and_fix_all_for_counts_that_may_be_the_source_length_subtract_the_offset()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Packet
            {
                byte[] Body(byte[] packet, int want)
                {
                    var body = new byte[want];
                    int n = Math.Min(want, packet.Length);
                    {|KS0001:Array.Copy(packet, 2, body, 0, n)|};
                    return body;
                }

                byte[] Payload(byte[] input, int size)
                {
                    var data = new byte[size];
                    var length = size - 1;
                    if (input.Length < size - 1) length = input.Length;
                    {|KS0001:Array.Copy(input, 1, data, 0, length)|};
                    return data;
                }
            }
            """, """
            using System;

            class Packet
            {
                byte[] Body(byte[] packet, int want)
                {
                    var body = new byte[want];
                    int n = Math.Min(want, packet.Length);
                    Array.Copy(packet, 2, body, 0, Math.Min(n, packet.Length - 2));
                    return body;
                }

                byte[] Payload(byte[] input, int size)
                {
                    var data = new byte[size];
                    var length = size - 1;
                    if (input.Length < size - 1) length = input.Length;
                    Array.Copy(input, 1, data, 0, Math.Min(length, input.Length - 1));
                    return data;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Source_length_held_in_a_variable_and_copied_from_a_non_zero_offset_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Frames
            {
                // The ninth pass's shape: the whole length kept as a long, copied from past the frame's type byte.
                byte[] Tail(byte[] frame)
                {
                    long n = frame.LongLength;
                    var rest = new byte[n];
                    {|#0:Array.Copy(frame, 1, rest, 0, n)|};
                    return rest;
                }

                byte[] Skip(byte[] src, int offset)
                {
                    var count = src.Length;
                    var dst = new byte[count];
                    {|#1:Buffer.BlockCopy(src, offset, dst, 0, count)|};
                    return dst;
                }

                // A parameter overwritten with the length holds it too.
                void Into(byte[] src, byte[] dst, int n)
                {
                    n = src.Length;
                    {|#2:Array.Copy(src, 2, dst, 0, n)|};
                }

                // A field assigned the length shortly before (lookeypl/LukeBot's WebSocketFrame.FromBuffer): what lies
                // between calls nothing and stores only other fields and array elements.
                long _len;
                byte _kind;
                byte[] _payload = new byte[0];
                byte[] _mask = new byte[0];

                void FromBuffer(byte[] buffer, long offset)
                {
                    _len = buffer.LongLength;
                    if (buffer.LongLength > 125)
                        _kind = 126;
                    else
                        _kind = (byte)_len;

                    _mask = new byte[4];
                    _mask[0] = 0x12;
                    _payload = new byte[buffer.LongLength];
                    {|#3:Array.Copy(buffer, offset, _payload, 0, _len)|};
                }

                // Clamped to the destination only: when dst is at least as long as src, n stays src.Length.
                void ClampedToDestination(byte[] src, byte[] dst)
                {
                    int n = src.Length;
                    if (n > dst.Length) n = dst.Length;
                    {|#5:Array.Copy(src, 1, dst, 0, n)|};
                }

                // The copy is on the branch where the offset is not 0.
                void NotFromTheStart(byte[] src, byte[] dst, int offset)
                {
                    if (src.Length > dst.Length) return;
                    int n = src.Length;
                    if (offset != 0)
                    {
                        {|#6:Array.Copy(src, offset, dst, 0, n)|};
                    }
                }

                // A local declared in between.
                byte[] Declared(byte[] buffer)
                {
                    _len = buffer.LongLength;
                    var copy = new byte[_len];
                    {|#4:Array.Copy(buffer, 2, copy, 0, _len)|};
                    return copy;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'frame.Length' and the copy starts at offset '1' of 'frame', so it can run past the end of 'frame'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Buffer.BlockCopy", "count", "bytes", "'count' can be as large as 'src.Length' and the copy starts at offset 'offset' of 'src', so it can run past the end of 'src'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'src.Length' and the copy starts at offset '2' of 'src', so it can run past the end of 'src'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(3).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "_len", "elements", "'_len' can be as large as 'buffer.Length' and the copy starts at offset 'offset' of 'buffer', so it can run past the end of 'buffer'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(4).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "_len", "elements", "'_len' can be as large as 'buffer.Length' and the copy starts at offset '2' of 'buffer', so it can run past the end of 'buffer'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(5).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'src.Length' and the copy starts at offset '1' of 'src', so it can run past the end of 'src'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(6).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments("Array.Copy", "n", "elements", "'n' can be as large as 'src.Length' and the copy starts at offset 'offset' of 'src', so it can run past the end of 'src'"));

    [Fact]
    public Task Source_length_held_in_a_variable_is_not_flagged_where_the_offset_is_accounted_for()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Frames
            {
                byte[] Tail(byte[] frame)
                {
                    long n = frame.LongLength;
                    var rest = new byte[n - 1];
                    Array.Copy(frame, 1, rest, 0, n - 1);
                    return rest;
                }

                byte[] Whole(byte[] src)
                {
                    var n = src.Length;
                    var dst = new byte[n];
                    Array.Copy(src, 0, dst, 0, n);
                    return dst;
                }

                byte[] Shortened(byte[] src)
                {
                    var n = src.Length - 1;
                    var dst = new byte[n];
                    Array.Copy(src, 1, dst, 0, n);
                    return dst;
                }

                byte[] Adjusted(byte[] src, int offset)
                {
                    var n = src.Length;
                    n -= offset;
                    var dst = new byte[n];
                    Array.Copy(src, offset, dst, 0, n);
                    return dst;
                }

                void Guarded(byte[] src, byte[] dst)
                {
                    var n = src.Length;
                    if (n > dst.Length + 1 || n < 1) return;
                    Array.Copy(src, 1, dst, 0, n - 1);
                }

                // The length of another buffer: what the offset leaves of src is not in question here.
                void Other(byte[] src, byte[] header, byte[] dst)
                {
                    var n = header.Length;
                    if (n > src.Length - 4 || n > dst.Length) return;
                    Array.Copy(src, 4, dst, 0, n);
                }

                // The length of the destination, copied into its start: it is the source that must hold it.
                void IntoStart(byte[] src, byte[] dst)
                {
                    var n = dst.Length;
                    if (src.Length - 2 < n) return;
                    Array.Copy(src, 2, dst, 0, n);
                }

                // A field's value is known only just after a store with nothing between that could change it.
                long _len;
                byte[] _payload = new byte[0];

                void Set(byte[] buffer) => _len = buffer.LongLength - 1;

                void AfterCall(byte[] buffer)
                {
                    _len = buffer.LongLength;
                    Set(buffer);
                    _payload = new byte[_len];
                    Array.Copy(buffer, 1, _payload, 0, _len);
                }

                void ElsewhereAssigned(byte[] buffer)
                {
                    _payload = new byte[_len];
                    Array.Copy(buffer, 1, _payload, 0, _len);
                }

                void OtherInstance(Frames other, byte[] buffer)
                {
                    other._len = buffer.LongLength;
                    _payload = new byte[_len];
                    Array.Copy(buffer, 1, _payload, 0, _len);
                }

                void Logged(byte[] buffer)
                {
                    _len = buffer.LongLength;
                    if (_len > 125) Console.WriteLine(_len);
                    _payload = new byte[_len];
                    Array.Copy(buffer, 1, _payload, 0, _len);
                }

                void Labelled(byte[] buffer, bool again)
                {
                    _len = buffer.LongLength;
                copy:
                    _payload = new byte[_len];
                    Array.Copy(buffer, 1, _payload, 0, _len);
                    if (again) { again = false; _len = 0; goto copy; }
                }

                // The buffer field replaced (by the framed copy, a byte longer) after its length was taken.
                byte[] _raw = new byte[0];
                byte[] _framed = new byte[0];
                int _rawLen;

                void Replaced(byte[] dst)
                {
                    _rawLen = _raw.Length;
                    _raw = _framed;
                    Array.Copy(_raw, 1, dst, 0, _rawLen);
                }

                // The offset field set to 0 just before.
                int _readPos;

                void Rewound(byte[] buffer, byte[] dst)
                {
                    _rawLen = buffer.Length;
                    _readPos = 0;
                    Array.Copy(buffer, _readPos, dst, 0, _rawLen);
                }

                // An offset that is 0 where the copy runs: a local that holds 0, a test around the copy.
                void ReadPosition(byte[] buf, byte[] dst)
                {
                    int readPos = 0;
                    int n = buf.Length;
                    if (n > dst.Length) return;
                    Array.Copy(buf, readPos, dst, 0, n);
                    Array.Copy(buf, readPos, dst, 0, buf.Length);
                }

                void OnlyFromTheStart(byte[] src, byte[] dst, int offset)
                {
                    if (src.Length > dst.Length) return;
                    int n = src.Length;
                    if (offset == 0)
                    {
                        Array.Copy(src, offset, dst, 0, n);
                        Array.Copy(src, offset, dst, 0, src.Length);
                    }
                    else if (offset > 0 && offset < n)
                    {
                        Array.Copy(src, offset, dst, 0, n - offset);
                    }

                    if (offset != 0 || n == 0) return; else Array.Copy(src, offset, dst, 0, src.Length);
                }

                void SkipTested(byte[] src, byte[] dst, int[] header)
                {
                    if (src.Length > dst.Length) return;
                    int skip = header[0];
                    if (skip == 0) Array.Copy(src, skip, dst, 0, src.Length);
                }

                // Clamped to what the offset leaves.
                void ClampedToTheRest(byte[] src, byte[] dst)
                {
                    int n = src.Length;
                    if (n > src.Length - 1) n = src.Length - 1;
                    if (n > dst.Length) return;
                    Array.Copy(src, 1, dst, 0, n);
                }

                void Adjusted(byte[] buffer, long offset)
                {
                    _len = buffer.LongLength;
                    _len -= offset;
                    _payload = new byte[_len];
                    Array.Copy(buffer, offset, _payload, 0, _len);
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_and_fix_all_for_a_source_length_held_in_a_variable()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Frames
            {
                byte[] Tail(byte[] frame)
                {
                    long n = frame.LongLength;
                    var rest = new byte[n];
                    {|KS0001:Array.Copy(frame, 1, rest, 0, n)|};
                    return rest;
                }

                byte[] Skip(byte[] src, int offset)
                {
                    var count = src.Length;
                    var dst = new byte[count];
                    {|KS0001:Buffer.BlockCopy(src, offset, dst, 0, count)|};
                    return dst;
                }

                long _len;
                byte[] _payload = new byte[0];

                void FromBuffer(byte[] buffer, long offset)
                {
                    _len = buffer.LongLength;
                    _payload = new byte[buffer.LongLength];
                    {|KS0001:Array.Copy(buffer, offset, _payload, 0, _len)|};
                }
            }
            """, """
            using System;

            class Frames
            {
                byte[] Tail(byte[] frame)
                {
                    long n = frame.LongLength;
                    var rest = new byte[n];
                    Array.Copy(frame, 1, rest, 0, Math.Min(n, frame.Length - 1));
                    return rest;
                }

                byte[] Skip(byte[] src, int offset)
                {
                    var count = src.Length;
                    var dst = new byte[count];
                    Buffer.BlockCopy(src, offset, dst, 0, Math.Min(count, src.Length - offset));
                    return dst;
                }

                long _len;
                byte[] _payload = new byte[0];

                void FromBuffer(byte[] buffer, long offset)
                {
                    _len = buffer.LongLength;
                    _payload = new byte[buffer.LongLength];
                    Array.Copy(buffer, offset, _payload, 0, Math.Min(_len, buffer.Length - offset));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Constant_count_larger_than_a_constant_size_destination()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Header
            {
                byte[] Build(byte[] source)
                {
                    var header = new byte[16];
                    {|KS0001:Buffer.BlockCopy(source, 0, header, 0, 32)|};
                    return header;
                }
            }
            """);

    [Fact]
    public Task Memory_copy_whose_destination_size_is_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            unsafe class Native
            {
                void Copy(byte* source, int len)
                {
                    byte* scratch = stackalloc byte[64];
                    {|KS0001:Buffer.MemoryCopy(source, scratch, len, len)|};
                }
            }
            """);

    [Fact]
    public Task Memory_copy_into_a_pinned_array_whose_destination_size_is_the_callers_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            unsafe class Native
            {
                private int _size;

                void Copy(byte[] data, byte[] dest, int size)
                {
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        {|KS0001:Buffer.MemoryCopy(s, d, size, size)|};
                    }
                }

                void CopyThroughALocal(byte[] data, byte[] dest, int size)
                {
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        var n = size;
                        {|KS0001:Buffer.MemoryCopy(s, d, n, n)|};
                    }
                }

                void CopyFieldCount(byte* source, int[] dest)
                {
                    fixed (int* d = dest)
                    {
                        {|KS0001:Buffer.MemoryCopy(source, d, _size, _size)|};
                    }
                }
            }
            """);

    [Fact]
    public Task Memory_copy_into_a_pinned_array_with_its_real_size_or_a_guard_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            unsafe class Native
            {
                void RealSize(byte[] data, byte[] dest, int size)
                {
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        Buffer.MemoryCopy(s, d, dest.Length, size);
                    }
                }

                void Guarded(byte[] data, byte[] dest, int size)
                {
                    if (size > dest.Length) throw new ArgumentOutOfRangeException(nameof(size));
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        Buffer.MemoryCopy(s, d, size, size);
                    }
                }

                void MadeForIt(byte* source, int size)
                {
                    var dest = new byte[size];
                    fixed (byte* d = dest)
                    {
                        Buffer.MemoryCopy(source, d, size, size);
                    }
                }

                void RawPointer(byte* source, byte* destination, int size)
                {
                    Buffer.MemoryCopy(source, destination, size, size);
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_for_memory_copy_into_a_pinned_array_passes_its_length()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            unsafe class Native
            {
                void Copy(byte[] data, byte[] dest, int size)
                {
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        {|KS0001:Buffer.MemoryCopy(s, d, size, size)|};
                    }
                }
            }
            """, """
            using System;

            unsafe class Native
            {
                void Copy(byte[] data, byte[] dest, int size)
                {
                    fixed (byte* s = data)
                    fixed (byte* d = dest)
                    {
                        Buffer.MemoryCopy(s, d, dest.Length, Math.Min(size, dest.Length));
                    }
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Unsafe_copy_block_into_a_fixed_size_array()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.CompilerServices;

            class Device
            {
                private static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Unsafe.CopyBlock(ref msg[0], ref buff[0], (uint)len)|};
                }
            }
            """);

    [Fact]
    public Task Native_memory_copy_into_a_pinned_fixed_size_array()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                private static byte[] msg = new byte[80];

                void Write(byte* buff, int len)
                {
                    fixed (byte* destination = msg)
                    {
                        {|KS0001:NativeMemory.Copy(buff, destination, (nuint)len)|};
                    }
                }
            }
            """);

    [Fact]
    public Task Unsafe_copy_block_into_a_fixed_size_buffer_field()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.CompilerServices;

            unsafe struct Packet
            {
                public fixed byte Data[16];
            }

            unsafe class Device
            {
                void Fill(Packet* packet, byte* source, uint count)
                {
                    {|KS0001:Unsafe.CopyBlock(packet->Data, source, count)|};
                }
            }
            """);

    [Fact]
    public Task DllImport_memcpy_with_caller_length_into_fixed_size_array()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System.Runtime.InteropServices;

            class Device
            {
                [DllImport("libc", EntryPoint = "memcpy")]
                private static extern nint CopyMemory(byte[] destination, byte[] source, nuint count);

                private static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:CopyMemory(msg, buff, (nuint)len)|};
                }
            }
            """);

    [Fact]
    public async Task LibraryImport_memmove_with_caller_length_into_fixed_size_array()
    {
        var test = new VerifyCS.Test
        {
            TestCode = """
                using System.Runtime.InteropServices;

                unsafe partial class Device
                {
                    [LibraryImport("libc")]
                    private static partial void* memmove(void* destination, void* source, nuint count);

                    void Write(byte* buff, int len)
                    {
                        byte* msg = stackalloc byte[80];
                        {|KS0001:memmove(msg, buff, (nuint)len)|};
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    [Fact]
    public Task Guard_in_the_wrong_direction_does_not_bound_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int Write(byte[] buff, int len)
                {
                    if (len < msg.Length)
                    {
                        return -1;
                    }

                    {|KS0001:Array.ConstrainedCopy(buff, 0, msg, 0, len)|};
                    return len;
                }
            }
            """);

    [Fact]
    public Task Caller_length_read_past_a_fixed_size_source()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Read(IntPtr destination, int len)
                {
                    {|KS0001:Marshal.Copy(msg, 0, destination, len)|};
                }
            }
            """);

    [Fact]
    public Task Length_field_copied_into_a_fixed_size_buffer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Record
            {
                private readonly byte[] name = new byte[32];
                private int length;
                private byte[] source = Array.Empty<byte>();

                void Commit()
                {
                    {|KS0001:Buffer.BlockCopy(source, 0, name, 0, length)|};
                }
            }
            """);

    [Fact]
    public Task Caller_offset_into_a_fixed_size_destination()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Put(byte[] value, int offset)
                {
                    {|KS0001:Buffer.BlockCopy(value, 0, msg, offset, 4)|};
                }
            }
            """);

    [Fact]
    public Task Message_names_the_api_the_count_its_unit_and_the_unchecked_length()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int DeviceWrite(byte[] buff, int len)
                {
                    {|#0:Buffer.BlockCopy(buff, 0, msg, 0, 80)|};
                    {|#1:Array.Copy(buff, msg, len)|};
                    return len;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Buffer.BlockCopy", "80", "bytes", "'buff' is a caller's buffer and 'len' is never compared with '80'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Array.Copy", "len", "elements", "'len' is never compared with the size of 'msg' (80 elements)"));

    [Fact]
    public Task Constant_count_from_callers_span_without_length_check()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Header
            {
                private readonly byte[] magic = new byte[4];

                void Read(ReadOnlySpan<byte> packet)
                {
                    {|KS0001:packet.Slice(0, 4).CopyTo(magic)|};
                }
            }
            """);

    [Fact]
    public Task Memory_copy_of_a_constant_count_from_a_callers_pointer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            unsafe class Device
            {
                static byte* msg = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(80);

                int DeviceWrite(byte* buff, int len)
                {
                    {|KS0001:Buffer.MemoryCopy(buff, msg, 80, 80)|};
                    return len;
                }
            }
            """);

    [Fact]
    public Task Memory_copy_of_a_constant_count_through_a_pointer_pinning_a_callers_array_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static unsafe class StructReader
            {
                public static long ReadInt64(byte[] buffer)
                {
                    long result;
                    fixed (byte* p = buffer)
                    {
                        {|KS0001:Buffer.MemoryCopy(p, &result, 8, 8)|};
                    }

                    return result;
                }

                // Checked first, or pinning a local array of known size, or copying only what the array holds: not flagged.
                public static long Checked(byte[] buffer)
                {
                    if (buffer.Length < 8) throw new ArgumentException("short", nameof(buffer));
                    long result;
                    fixed (byte* p = buffer)
                    {
                        Buffer.MemoryCopy(p, &result, 8, 8);
                    }

                    return result;
                }

                public static long Local()
                {
                    var bytes = new byte[8];
                    long result;
                    fixed (byte* p = bytes)
                    {
                        Buffer.MemoryCopy(p, &result, 8, 8);
                    }

                    return result;
                }

                public static void Whole(byte[] buffer, byte* destination)
                {
                    fixed (byte* p = buffer)
                    {
                        Buffer.MemoryCopy(p, destination, buffer.Length, buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task Guard_fix_for_a_pinned_callers_array_checks_its_length()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            static unsafe class StructReader
            {
                public static long ReadInt64(byte[] buffer)
                {
                    long result;
                    fixed (byte* p = buffer)
                    {
                        {|KS0001:Buffer.MemoryCopy(p, &result, 8, 8)|};
                    }

                    return result;
                }
            }
            """, """
            using System;

            static unsafe class StructReader
            {
                public static long ReadInt64(byte[] buffer)
                {
                    long result;
                    fixed (byte* p = buffer)
                    {
                        if (buffer.Length < 8)
                        {
                            throw new ArgumentOutOfRangeException(nameof(buffer), "'buffer' must hold at least 8 bytes.");
                        }

                        Buffer.MemoryCopy(p, &result, 8, 8);
                    }

                    return result;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Array_copy_to_and_memory_copy_to_into_fixed_size_buffers()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static byte[] msg = new byte[80];
                private readonly Memory<byte> slot = new byte[32];

                void Write(byte[] buff, ReadOnlyMemory<byte> data)
                {
                    {|KS0001:buff.CopyTo(msg, 0)|};
                    {|KS0001:data.CopyTo(msg)|};
                }
            }
            """);

    [Fact]
    public Task Constant_offset_and_count_past_a_checked_minimum()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            class Keys
            {
                void Load(byte[] src)
                {
                    if (src.Length < 16) return;
                    var key = new byte[32];
                    var iv = new byte[16];
                    {|#0:Array.Copy(src, 0, key, 0, 32)|};
                    Array.Copy(src, 0, iv, 0, 16);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Array.Copy", "32", "elements", "nothing checks that the caller's buffer 'src' holds 32"));

    [Fact]
    public Task Renamed_memcpy_declared_in_another_file_is_flagged_where_it_is_called()
        => new VerifyCS.Test
        {
            // The calling file spells no copy name: the P/Invoke's own name (found in the declaring file) leads to it.
            TestState =
            {
                Sources =
                {
                    """
                    using System.Runtime.InteropServices;

                    static class Native
                    {
                        [DllImport("libc", EntryPoint = "memcpy")]
                        public static extern nint Blit(byte[] destination, byte[] source, nuint count);
                    }
                    """,
                    """
                    class Device
                    {
                        private static readonly byte[] msg = new byte[80];

                        void Write(byte[] buff, int len)
                        {
                            {|KS0001:Native.Blit(msg, buff, (nuint)len)|};
                        }
                    }
                    """,
                },
            },
        }.RunAsync();

    // ---------------------------------------------------------------- not flagged

    [Fact]
    public Task Guard_whose_failure_branch_calls_a_throw_helper_without_DoesNotReturn_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            internal static class ThrowHelper
            {
                public static void ThrowArgumentOutOfRange(string name) => throw new ArgumentOutOfRangeException(name);

                public static void Fail(string message)
                {
                    Console.Error.WriteLine(message);
                    throw new InvalidOperationException(message);
                }
            }

            public static class Block
            {
                public static void Load(ReadOnlySpan<byte> src, int n)
                {
                    Span<byte> block = stackalloc byte[16];
                    if ((uint)n > 16u) ThrowHelper.ThrowArgumentOutOfRange(nameof(n));
                    src.Slice(0, n).CopyTo(block);
                }

                public static void Store(byte[] src, int n)
                {
                    var block = new byte[16];
                    if (n > block.Length || n > src.Length)
                    {
                        ThrowHelper.Fail("too long");
                    }

                    Buffer.BlockCopy(src, 0, block, 0, n);
                }
            }
            """);

    [Fact]
    public Task Guard_whose_failure_branch_calls_a_helper_that_returns_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            internal static class Log
            {
                public static void Warn(string message) => Console.Error.WriteLine(message);

                public static void Check(bool ok, string message)
                {
                    if (!ok) throw new InvalidOperationException(message);
                }
            }

            public static class Block
            {
                public static void Store(byte[] src, int n)
                {
                    var block = new byte[16];
                    if (n > block.Length) Log.Warn("too long");
                    {|KS0001:Buffer.BlockCopy(src, 0, block, 0, n)|};
                    if (n > block.Length) Log.Check(false, "too long");
                    {|KS0001:Buffer.BlockCopy(src, 0, block, 0, n)|};
                }
            }
            """);

    [Fact]
    public Task Utf8_literals_that_fit_their_destination_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class OscBundle
            {
                static void WriteHeader(Span<byte> data, int index)
                {
                    "#bundle\0"u8.CopyTo(data.Slice(index, 8));
                    ReadOnlySpan<byte> hello = "HELO"u8;
                    hello.CopyTo(data.Slice(index + 8, 4));
                    Span<byte> tag = stackalloc byte[4];
                    "HELO"u8.CopyTo(tag);
                    "\u00e9t\u00e9"u8.CopyTo(data.Slice(index + 12, 5));
                }
            }
            """);


    [Fact]
    public Task Count_clamped_with_math_min()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                }
            }
            """);

    [Fact]
    public Task Count_clamped_with_math_clamp_and_ternary()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Clamp(len, 0, msg.Length));
                    Array.Copy(buff, msg, len < msg.Length ? len : msg.Length);
                }
            }
            """);

    [Fact]
    public Task Local_assigned_a_clamp_before_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    var count = Math.Min(len, msg.Length);
                    Buffer.BlockCopy(buff, 0, msg, 0, count);
                    len = Math.Min(len, 80);
                    Array.Copy(buff, msg, len);
                }
            }
            """);

    [Fact]
    public Task Guard_that_throws_before_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    if (len > msg.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len));
                    }

                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }
            }
            """);

    [Fact]
    public Task Guard_against_the_named_constant_that_sizes_the_buffer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                const int Size = 80;
                static byte[] msg = new byte[Size];

                int Write(byte[] buff, int len)
                {
                    if (len > Size) return -1;
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                    return len;
                }
            }
            """);

    [Fact]
    public Task Copy_inside_a_bounding_if()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int Write(byte[] buff, int len)
                {
                    if (len <= msg.Length && len <= buff.Length)
                    {
                        buff.AsSpan(0, len).CopyTo(msg);
                        return len;
                    }

                    return -1;
                }
            }
            """);

    [Fact]
    public Task Throw_helpers_and_combined_guards_bound_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(len, msg.Length);
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }

                void Put(byte[] buff, int offset, int len)
                {
                    if (offset < 0 || len < 0 || offset + len > msg.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len));
                    }

                    Buffer.BlockCopy(buff, 0, msg, offset, len);
                }
            }
            """);

    [Fact]
    public Task Destination_made_from_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Buffers;

            class Device
            {
                byte[] Copy(byte[] buff, int len)
                {
                    var copy = new byte[len];
                    Buffer.BlockCopy(buff, 0, copy, 0, len);

                    var rented = ArrayPool<byte>.Shared.Rent(len);
                    Array.Copy(buff, rented, len);
                    ArrayPool<byte>.Shared.Return(rented);

                    Span<byte> scratch = stackalloc byte[len];
                    buff.AsSpan(0, len).CopyTo(scratch);
                    return copy;
                }
            }
            """);

    [Fact]
    public Task Source_length_from_offset_zero_into_a_destination_of_unknown_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                void Copy(byte[] source, byte[] destination, ReadOnlySpan<byte> data, Span<byte> target)
                {
                    Array.Copy(source, destination, source.Length);
                    Buffer.BlockCopy(source, 0, destination, 0, source.Length);
                    data.CopyTo(target);
                }
            }
            """);

    [Fact]
    public Task Compile_time_constant_sizes_that_fit()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Header
            {
                byte[] Build()
                {
                    var header = new byte[16];
                    var packet = new byte[64];
                    Buffer.BlockCopy(header, 0, packet, 0, 16);
                    Array.Copy(header, 0, packet, 48, header.Length);
                    return packet;
                }
            }
            """);

    [Fact]
    public Task User_type_with_a_method_named_block_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            namespace App
            {
                static class Buffer
                {
                    public static void BlockCopy(byte[] src, int srcOffset, byte[] dst, int dstOffset, int count) { }
                }

                class Device
                {
                    static byte[] msg = new byte[80];

                    int DeviceWrite(byte[] buff, int len)
                    {
                        Buffer.BlockCopy(buff, 0, msg, 0, 80);
                        Buffer.BlockCopy(buff, 0, msg, 0, len);
                        return len;
                    }
                }
            }
            """);

    [Fact]
    public Task Managed_method_named_memcpy_is_not_a_native_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            class Device
            {
                static byte[] msg = new byte[80];

                static void memcpy(byte[] destination, byte[] source, int count) { }

                void Write(byte[] buff, int len)
                {
                    memcpy(msg, buff, len);
                }
            }
            """);

    [Fact]
    public Task Constant_count_after_the_callers_length_is_checked()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int Write(byte[] buff, int len)
                {
                    if (len < 80) return -1;
                    Buffer.BlockCopy(buff, 0, msg, 0, 80);
                    return 80;
                }

                int WriteChecked(byte[] buff)
                {
                    if (buff.Length < msg.Length) throw new ArgumentException("short buffer", nameof(buff));
                    Buffer.BlockCopy(buff, 0, msg, 0, msg.Length);
                    return 80;
                }
            }
            """);

    [Fact]
    public Task Count_returned_by_a_read_is_not_caller_supplied()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            class Device
            {
                static byte[] msg = new byte[80];

                void Pump(Stream stream)
                {
                    var chunk = new byte[80];
                    int n = stream.Read(chunk, 0, chunk.Length);
                    Buffer.BlockCopy(chunk, 0, msg, 0, n);
                }
            }
            """);

    [Fact]
    public Task Memory_copy_with_the_destinations_real_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            unsafe class Native
            {
                void Copy(byte* source, int len)
                {
                    byte* scratch = stackalloc byte[64];
                    Buffer.MemoryCopy(source, scratch, 64, len);
                }
            }
            """);

    [Fact]
    public Task Pointer_source_without_a_length_parameter_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Reader
            {
                static byte[] msg = new byte[80];

                void ReadRecord(IntPtr record)
                {
                    Marshal.Copy(record, msg, 0, 80);
                }
            }
            """);

    [Fact]
    public Task Try_copy_to_and_loop_bounded_copies_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                bool Write(ReadOnlySpan<byte> data, byte[] buff, int len)
                {
                    while (len > msg.Length)
                    {
                        len -= msg.Length;
                    }

                    for (int i = 0; i < 1; i++)
                    {
                        if (len > 80) break;
                        Array.Copy(buff, msg, len);
                    }

                    return data.TryCopyTo(msg);
                }
            }
            """);

    [Fact]
    public Task Count_masked_or_of_a_small_type_fits()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] table = new byte[256];

                void Write(byte[] buff, int len, byte small)
                {
                    Buffer.BlockCopy(buff, 0, table, 0, len & 0xFF);
                    Buffer.BlockCopy(buff, 0, table, 0, small);
                }
            }
            """);

    [Fact]
    public Task Incomplete_code_does_not_crash_the_analyzer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, {|CS1525:)|};
                    Array.Copy(buff, {|CS0103:missing|}, len);
                    Buffer.BlockCopy(buff, 0, msg, 0, {|CS0103:count|});
                }
            }
            """);

    [Fact]
    public Task Reassigned_field_has_no_fixed_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private byte[] msg = new byte[80];

                void Resize(int size) => msg = new byte[size];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }
            }
            """);

    [Fact]
    public Task Guard_before_a_copy_inside_a_lambda_is_not_needed_when_lambda_clamps()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                Action<byte[], int> Writer() => (buff, len) =>
                {
                    if (len > msg.Length) return;
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                };
            }
            """);

    [Fact]
    public Task Clamp_idiom_if_greater_then_assign_the_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    if (len > msg.Length)
                    {
                        Console.WriteLine("truncated");
                        len = msg.Length;
                    }

                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }
            }
            """);

    [Fact]
    public Task Clamp_idiom_with_a_wrong_value_is_still_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    if (len > msg.Length) len = 128;
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                }
            }
            """);

    [Fact]
    public Task Two_clamps_in_a_row_bound_the_count_by_both_sizes()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class Latch
            {
                private readonly byte[] _buffer = new byte[64];

                public int Put(byte[] src, int len)
                {
                    if (len < 0) return 0;
                    if (len > _buffer.Length) len = _buffer.Length;
                    if (len > src.Length) len = src.Length;
                    Buffer.BlockCopy(src, 0, _buffer, 0, len);
                    return len;
                }

                public int PutOtherOrder(byte[] src, int len)
                {
                    if (len < 0) return 0;
                    if (src.Length < len) len = src.Length;
                    if (len >= _buffer.Length) len = _buffer.Length;
                    Buffer.BlockCopy(src, 0, _buffer, 0, len);
                    return len;
                }
            }
            """);

    [Fact]
    public Task Tail_after_a_part_that_cannot_be_negative_is_bounded_by_the_whole()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class SplitCopy
            {
                private const int Cap = 4096;

                // head = Math.Min(n, 100) after n >= 0 was checked: 0 <= head, so n - head <= n <= Cap.
                public static byte[] Tail(byte[] data, int n)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    var tail = new byte[Cap];
                    int head = Math.Min(n, 100);
                    Array.Copy(data, head, tail, 0, n - head);
                    return tail;
                }

                // Math.Max with a value that is not negative, and Clamp to a lower bound of 0.
                public static byte[] Rest(byte[] data, int n, int skip)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    var rest = new byte[Cap];
                    int lead = Math.Max(skip, 0);
                    int cut = Math.Clamp(skip, 0, n);
                    Buffer.BlockCopy(data, 0, rest, 0, n - lead);
                    Buffer.BlockCopy(data, 0, rest, 0, n - cut);
                    return rest;
                }
            }

            public sealed class ByteRing
            {
                private const int Cap = 4096;
                private readonly byte[] _buf = new byte[Cap];
                private int _pos;

                // A write split at the end of the ring: the first copy throws for a negative head, so the second runs
                // only with head >= 0.
                public void Put(byte[] data, int n)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Math.Min(n, Cap - _pos);
                    Array.Copy(data, 0, _buf, _pos, head);
                    Array.Copy(data, head, _buf, 0, n - head);
                    _pos = (_pos + n) & (Cap - 1);
                }

                // Slice's start throws for a negative head: the tail after it is at most n.
                public void PutRest(byte[] data, int n, int head)
                {
                    if (n < 0 || n > _buf.Length || n > data.Length || head > n) return;
                    var rest = data.AsSpan().Slice(head);
                    Array.Copy(data, 0, _buf, 0, n - head);
                    GC.KeepAlive(rest.Length);
                }

                public void PutSpan(ReadOnlySpan<byte> data)
                {
                    if (data.Length > Cap) throw new ArgumentOutOfRangeException(nameof(data));
                    int n = data.Length;
                    int head = Cap - _pos;
                    data.Slice(0, Math.Min(n, head)).CopyTo(_buf.AsSpan(_pos));
                    if (n <= head) return;
                    _buf.AsSpan(_pos, head).Clear();
                    data.Slice(head, n - head).CopyTo(_buf);
                }
            }
            """);

    [Fact]
    public Task Room_left_by_the_objects_own_cursor_bounds_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class Accumulator
            {
                private readonly byte[] store = new byte[1024];
                private int filled;

                private int Room() => store.Length - filled;

                // A guard against a private method whose body is the room left: as the inline guard would.
                public bool Add(byte[] src, int count)
                {
                    if (count < 0 || count > src.Length) return false;
                    if (count > Room()) return false;
                    Buffer.BlockCopy(src, 0, store, filled, count);
                    filled += count;
                    return true;
                }
            }

            public sealed class ByteRing
            {
                private readonly byte[] _store = new byte[2048];
                private int _head;
                private int _used;

                private int Free => _store.Length - _used;

                // Clamped to the free space, which the private fill count keeps within the store: the wrapped tail
                // written at index 0 fits as well as the part at the cursor.
                public int Push(byte[] data, int count)
                {
                    if ((uint)count > (uint)data.Length) throw new ArgumentOutOfRangeException(nameof(count));
                    if (count > Free) count = Free;
                    int tail = (_head + _used) % _store.Length;
                    int firstPart = Math.Min(count, _store.Length - tail);
                    Buffer.BlockCopy(data, 0, _store, tail, firstPart);
                    Buffer.BlockCopy(data, firstPart, _store, 0, count - firstPart);
                    _used += count;
                    return count;
                }
            }
            """);

    [Fact]
    public Task Room_that_the_copying_type_does_not_keep_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public class Accumulator
            {
                private readonly byte[] store = new byte[1024];
                public int Filled;
                private int filled;

                protected virtual int Room() => store.Length - filled;
                private int RoomAfter(int reserve) => store.Length - filled - reserve;
                private int PublicRoom() => store.Length - Filled;

                // A derived type may return anything.
                public void Virtual(byte[] src, int count)
                {
                    if (count > src.Length || count > Room()) return;
                    {|KS0001:Buffer.BlockCopy(src, 0, store, 0, count)|};
                }

                // A method with a parameter is not read.
                public void WithParameter(byte[] src, int count, int reserve)
                {
                    if (count > src.Length || count > RoomAfter(reserve)) return;
                    {|KS0001:Buffer.BlockCopy(src, 0, store, 0, count)|};
                }

                // A public field anyone can set below zero.
                public void Public(byte[] src, int count)
                {
                    if (count > src.Length || count > PublicRoom()) return;
                    {|KS0001:Buffer.BlockCopy(src, 0, store, 0, count)|};
                }

                // Clamped to the source only.
                public void SourceOnly(byte[] src, int count)
                {
                    if (count > src.Length) count = src.Length;
                    {|KS0001:Buffer.BlockCopy(src, 0, store, 0, count)|};
                }
            }
            """);

    [Fact]
    public Task Tail_after_a_part_that_may_be_negative_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class ByteRing
            {
                private const int Cap = 4096;
                private readonly byte[] _buf = new byte[Cap];
                private int _pos;

                // k is the caller's and may be negative: n - head may exceed n.
                public void Unchecked(byte[] data, int n, int k)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Math.Min(n, k);
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // An explicit cast of a large uint is negative.
                public void Cast(byte[] data, int n, uint u)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = (int)u;
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // The first copy's failure is caught: the second runs with a negative head too.
                public void Caught(byte[] data, int n)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Cap - _pos;
                    try { Array.Copy(data, 0, _buf, _pos, head); } catch (ArgumentException) { }
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // head is assigned again after the first copy.
                public void Reassigned(byte[] data, int n, int k)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Cap - _pos;
                    Array.Copy(data, 0, _buf, _pos, head);
                    head = k;
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // Only one path makes the first copy.
                public void OnePath(byte[] data, int n, bool first)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Cap - _pos;
                    if (first) Array.Copy(data, 0, _buf, _pos, head);
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // The first copy's count is another local.
                public void OtherLocal(byte[] data, int n)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Cap - _pos;
                    int part = n;
                    Array.Copy(data, 0, _buf, 0, part);
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                // A user method named like a copy proves nothing.
                public void NamedLikeACopy(byte[] data, int n)
                {
                    if (n < 0 || n > data.Length || n > Cap) throw new ArgumentOutOfRangeException(nameof(n));
                    int head = Cap - _pos;
                    Copy(data, head);
                    {|KS0001:Array.Copy(data, 0, _buf, 0, n - head)|};
                }

                private static void Copy(byte[] data, int length) { }
            }
            """);

    [Fact]
    public Task A_second_assignment_that_does_not_lower_the_clamped_count_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class Latch
            {
                private readonly byte[] _buffer = new byte[64];

                // The second test compares with one value and assigns another: len may grow past the buffer.
                public void Put(byte[] src, int len)
                {
                    if (len > _buffer.Length) len = _buffer.Length;
                    if (len > src.Length - 1) len = src.Length;
                    {|KS0001:Buffer.BlockCopy(src, 0, _buffer, 0, len)|};
                }

                // A raise, not a clamp.
                public void Pad(byte[] src, int len)
                {
                    if (len > _buffer.Length) len = _buffer.Length;
                    if (len < src.Length) len = src.Length;
                    {|KS0001:Buffer.BlockCopy(src, 0, _buffer, 0, len)|};
                }

                // The branch does more than assign: the bound it read may have changed.
                public void Shift(byte[] src, int len, int cap)
                {
                    if (len > _buffer.Length) len = _buffer.Length;
                    if (len > cap)
                    {
                        cap += 100;
                        len = cap;
                    }

                    {|KS0001:Buffer.BlockCopy(src, 0, _buffer, 0, len)|};
                }
            }
            """);

    [Fact]
    public Task Loop_reading_a_callers_buffer_in_fixed_steps_is_not_the_seed()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Decoder
            {
                readonly int[] words = new int[4];
                readonly byte[] word = new byte[4];

                void Decode(byte[] data)
                {
                    for (int i = 0; i < data.Length / 4 && i < words.Length; i++)
                    {
                        Buffer.BlockCopy(data, i * 4, word, 0, 4);
                        words[i] = BitConverter.ToInt32(word, 0);
                    }
                }
            }
            """);

    [Fact]
    public Task Length_parameter_of_another_buffer_is_not_the_sources_length()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Reader
            {
                void Read(IntPtr record, byte[] destination, int count)
                {
                    Marshal.Copy(record, destination, 0, 16);
                }
            }
            """);

    [Fact]
    public Task Readonly_field_resized_in_the_constructor_has_no_fixed_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private readonly byte[] msg = new byte[80];

                public Device(int size) => msg = new byte[size];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }
            }
            """);

    [Fact]
    public Task Ring_buffer_arithmetic_on_clamped_locals_is_trusted()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Ring
            {
                private readonly byte[] data = new byte[4096];
                private int head;
                private int count;

                public int Read(byte[] destination)
                {
                    int n = Math.Min(destination.Length, count);
                    int first = Math.Min(n, data.Length - head);
                    Array.Copy(data, head, destination, 0, first);
                    Array.Copy(data, 0, destination, first, n - first);
                    head = (head + n) % data.Length;
                    count -= n;
                    return n;
                }

                public int Write(byte[] source)
                {
                    int n = Math.Min(source.Length, data.Length - count);
                    int tail = (head + count) % data.Length;
                    int first = Math.Min(n, data.Length - tail);
                    Array.Copy(source, 0, data, tail, first);
                    Array.Copy(source, first, data, 0, n - first);
                    count += n;
                    return n;
                }
            }
            """);

    [Fact]
    public Task Math_min_with_a_limit_larger_than_the_destination_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, 128))|};
                }
            }
            """);

    [Fact]
    public Task Stackalloc_sized_by_a_local_holding_the_source_length()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Parser
            {
                int Sum(ReadOnlySpan<byte> data)
                {
                    if (data.Length > 256) return -1;
                    int size = data.Length;
                    Span<byte> copy = stackalloc byte[size];
                    data.CopyTo(copy);
                    return copy[0];
                }
            }
            """);

    // ---------------------------------------------------------------- fixes

    [Fact]
    public Task Clamp_fix_bounds_a_caller_length_by_the_destination()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                }
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Clamp_fix_on_the_seed_uses_the_length_parameter()
        => VerifyCS.VerifyCodeFixAsync("""
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
            """, """
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                int DeviceWrite(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    return len;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Guard_fix_rejects_a_caller_length_larger_than_the_destination()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                }
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    if (len > msg.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len), "The copy length must not exceed the size of 'msg'.");
                    }

                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Guard_fix_on_the_seed_rejects_a_short_caller_buffer()
        => VerifyCS.VerifyCodeFixAsync("""
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
            """, """
            using System;
            using System.Runtime.InteropServices;

            class Device
            {
                static byte[] msg = new byte[80];

                int DeviceWrite(IntPtr buff, int len)
                {
                    if (len < 80)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len), "'buff' must hold at least 80 elements.");
                    }

                    Marshal.Copy(buff, msg, 0, 80);
                    return len;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Clamp_fix_inside_a_span_slice()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:buff.AsSpan(0, len).CopyTo(msg)|};
                }
            }
            """, """
            using System;

            class Device
            {
                static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    buff.AsSpan(0, Math.Min(len, msg.Length)).CopyTo(msg);
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Guard_fix_for_a_whole_span_copy_names_the_span_parameter()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Parser
            {
                int Checksum(ReadOnlySpan<byte> data)
                {
                    Span<byte> scratch = stackalloc byte[64];
                    {|KS0001:data.CopyTo(scratch)|};
                    return scratch[0];
                }
            }
            """, """
            using System;

            class Parser
            {
                int Checksum(ReadOnlySpan<byte> data)
                {
                    Span<byte> scratch = stackalloc byte[64];
                    if (data.Length > scratch.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(data), "The copy length must not exceed the size of 'scratch'.");
                    }

                    data.CopyTo(scratch);
                    return scratch[0];
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Guard_fix_for_a_field_count_names_it_with_a_string()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Record
            {
                private readonly byte[] name = new byte[32];
                private int length;
                private byte[] source = Array.Empty<byte>();

                void Commit()
                {
                    {|KS0001:Buffer.BlockCopy(source, 0, name, 0, length)|};
                }
            }
            """, """
            using System;

            class Record
            {
                private readonly byte[] name = new byte[32];
                private int length;
                private byte[] source = Array.Empty<byte>();

                void Commit()
                {
                    if (length > name.Length)
                    {
                        throw new ArgumentOutOfRangeException("length", "The copy length must not exceed the size of 'name'.");
                    }

                    Buffer.BlockCopy(source, 0, name, 0, length);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    // AlphaFS's ToByteArray(startIndex, length): the array is made for the count, then written from the caller's offset.
    [Fact]
    public Task Destination_made_for_the_count_written_from_a_caller_or_constant_offset_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;
            using System.Runtime.InteropServices;

            class SafeBuffer
            {
                private IntPtr handle;

                public byte[] ToByteArray(int startIndex, int length)
                {
                    var arr = new byte[length];
                    {|#0:Marshal.Copy(handle, arr, startIndex, length)|};
                    return arr;
                }

                public byte[] Framed(byte[] payload, int n)
                {
                    var frame = new byte[n];
                    {|#1:Array.Copy(payload, 0, frame, 2, n)|};
                    return frame;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Marshal.Copy", "length", "elements", "'arr' is written from offset 'startIndex', so only 'arr.Length - startIndex' elements fit"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "n", "elements", "'frame' is written from offset '2', so only 'frame.Length - 2' elements fit"));

    // Look-alikes: room left for the offset, a count that shrinks with it, a guard, an offset the method computes.
    [Fact]
    public Task Destination_made_with_room_for_its_offset_or_guarded_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            class Frames
            {
                private IntPtr handle;

                public byte[] WithHeader(byte[] payload, int header, int n)
                {
                    var frame = new byte[header + n];
                    Array.Copy(payload, 0, frame, header, n);
                    return frame;
                }

                public byte[] Tail(byte[] data, int length, int offset)
                {
                    var tail = new byte[length];
                    Array.Copy(data, 0, tail, offset, length - offset);
                    return tail;
                }

                public byte[] Checked(int startIndex, int length)
                {
                    var arr = new byte[length];
                    if (length > arr.Length - startIndex)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length));
                    }

                    Marshal.Copy(handle, arr, startIndex, length);
                    return arr;
                }

                public byte[] FromZero(int startIndex, int length)
                {
                    var arr = new byte[length];
                    Marshal.Copy(handle + startIndex, arr, 0, length);
                    return arr;
                }

                public byte[] Pooled(byte[] payload, int n)
                {
                    var frame = new byte[n + 4];
                    Buffer.BlockCopy(payload, 0, frame, 4, n);
                    return frame;
                }
            }
            """);

    [Fact]
    public Task Guard_fix_for_a_destination_written_from_a_caller_offset_rejects_what_does_not_fit()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            class SafeBuffer
            {
                private IntPtr handle;

                public byte[] ToByteArray(int startIndex, int length)
                {
                    var arr = new byte[length];
                    {|KS0001:Marshal.Copy(handle, arr, startIndex, length)|};
                    return arr;
                }

                public byte[] Again(int startIndex, int length)
                {
                    var arr = new byte[length];
                    {|KS0001:Marshal.Copy(handle, arr, startIndex, length)|};
                    return arr;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            class SafeBuffer
            {
                private IntPtr handle;

                public byte[] ToByteArray(int startIndex, int length)
                {
                    var arr = new byte[length];
                    if (length > arr.Length - startIndex)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length), "The copy length must not exceed the size of 'arr'.");
                    }

                    Marshal.Copy(handle, arr, startIndex, length);
                    return arr;
                }

                public byte[] Again(int startIndex, int length)
                {
                    var arr = new byte[length];
                    if (length > arr.Length - startIndex)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length), "The copy length must not exceed the size of 'arr'.");
                    }

                    Marshal.Copy(handle, arr, startIndex, length);
                    return arr;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    // An emulator's ROM loaded into the memory an auto-property holds: the ROM's length is the caller's.
    [Fact]
    public Task Caller_length_copied_into_a_get_only_auto_property_array_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            class Chip8
            {
                public byte[] Memory { get; } = new byte[4096];

                private int[] Registers { get; set; } = new int[16];

                public void Load(byte[] rom)
                {
                    {|#0:Array.Copy(rom, 0, Memory, 0x200, rom.Length)|};
                }

                public void Restore(int[] saved, int count)
                {
                    {|#1:Array.Copy(saved, Registers, count)|};
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "rom.Length", "elements", "'rom.Length' is never compared with the size of 'Memory' (4096 elements)"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "count", "elements", "'count' is never compared with the size of 'Registers' (16 elements)"));

    // Look-alikes: a guard, a setter others can call, an init accessor, a reassignment, a virtual property, a computed one.
    [Fact]
    public Task Auto_property_arrays_that_are_guarded_or_may_be_replaced_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Chip8
            {
                public byte[] Memory { get; } = new byte[4096];
                public byte[] Screen { get; set; } = new byte[2048];
                public byte[] Stack { get; init; } = new byte[64];
                private byte[] Scratch { get; set; } = new byte[32];
                public virtual byte[] Keys { get; } = new byte[16];
                public byte[] Font => new byte[80];

                public void Load(byte[] rom)
                {
                    if (rom.Length > Memory.Length - 0x200)
                    {
                        throw new ArgumentException("ROM too large", nameof(rom));
                    }

                    Array.Copy(rom, 0, Memory, 0x200, rom.Length);
                }

                public void Draw(byte[] frame) => Array.Copy(frame, Screen, frame.Length);

                public void Push(byte[] values) => Array.Copy(values, Stack, values.Length);

                public void Grow(int size) => Scratch = new byte[size];

                public void Fill(byte[] data) => Array.Copy(data, Scratch, data.Length);

                public void Press(byte[] state) => Array.Copy(state, Keys, state.Length);

                public void Glyphs(byte[] glyphs) => Array.Copy(glyphs, Font, glyphs.Length);
            }
            """);

    [Fact]
    public Task Clamp_fix_for_an_offset_copy_subtracts_the_offset()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Packet
            {
                byte[] Strip(byte[] packet)
                {
                    var body = new byte[packet.Length];
                    {|KS0001:Array.Copy(packet, 1, body, 0, packet.Length)|};
                    return body;
                }
            }
            """, """
            using System;

            class Packet
            {
                byte[] Strip(byte[] packet)
                {
                    var body = new byte[packet.Length];
                    Array.Copy(packet, 1, body, 0, packet.Length - 1);
                    return body;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Clamp_fix_keeps_unsigned_counts_unsigned()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.CompilerServices;

            class Device
            {
                private static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Unsafe.CopyBlock(ref msg[0], ref buff[0], (uint)len)|};
                }
            }
            """, """
            using System;
            using System.Runtime.CompilerServices;

            class Device
            {
                private static byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Unsafe.CopyBlock(ref msg[0], ref buff[0], Math.Min((uint)len, (uint)msg.Length));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Clamp_fix_for_memory_copy_passes_the_real_destination_size()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            unsafe class Native
            {
                void Copy(byte* source, int len)
                {
                    byte* scratch = stackalloc byte[64];
                    {|KS0001:Buffer.MemoryCopy(source, scratch, len, len)|};
                }
            }
            """, """
            using System;

            unsafe class Native
            {
                void Copy(byte* source, int len)
                {
                    byte* scratch = stackalloc byte[64];
                    Buffer.MemoryCopy(source, scratch, 64, Math.Min(len, 64));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Guard_fix_for_an_unchecked_caller_buffer_checks_its_length()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Header
            {
                private readonly byte[] magic = new byte[4];

                void Read(byte[] packet)
                {
                    {|KS0001:Buffer.BlockCopy(packet, 0, magic, 0, 4)|};
                }
            }
            """, """
            using System;

            class Header
            {
                private readonly byte[] magic = new byte[4];

                void Read(byte[] packet)
                {
                    if (packet.Length < 4)
                    {
                        throw new ArgumentOutOfRangeException(nameof(packet), "'packet' must hold at least 4 bytes.");
                    }

                    Buffer.BlockCopy(packet, 0, magic, 0, 4);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Clamp_fix_for_an_unchecked_caller_buffer_uses_its_length()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Header
            {
                private readonly byte[] magic = new byte[4];

                void Read(byte[] packet)
                {
                    {|KS0001:Buffer.BlockCopy(packet, 0, magic, 0, 4)|};
                }
            }
            """, """
            using System;

            class Header
            {
                private readonly byte[] magic = new byte[4];

                void Read(byte[] packet)
                {
                    Buffer.BlockCopy(packet, 0, magic, 0, Math.Min(4, packet.Length));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Clamp_fix_in_an_expression_bodied_method()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len) => {|KS0001:Array.Copy(buff, msg, len)|};
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len) => Array.Copy(buff, msg, Math.Min(len, msg.Length));
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Fix_all_clamps_every_copy_in_the_document()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                static byte[] msg = new byte[80];
                static byte[] reply = new byte[16];

                void Write(byte[] buff, int len)
                {
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                    {|KS0001:Array.Copy(buff, reply, len)|};
                }
            }
            """, """
            using System;

            class Device
            {
                static byte[] msg = new byte[80];
                static byte[] reply = new byte[16];

                void Write(byte[] buff, int len)
                {
                    Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    Array.Copy(buff, reply, Math.Min(len, reply.Length));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public async Task Fix_all_guards_copies_across_documents()
    {
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    class Device
                    {
                        static byte[] msg = new byte[80];

                        void Write(byte[] buff, int len)
                        {
                            {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                        }
                    }
                    """,
                    """
                    using System;

                    class Frame
                    {
                        private readonly byte[] payload = new byte[64];

                        public void Load(byte[] data, int count)
                        {
                            {|KS0001:Array.Copy(data, payload, count)|};
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

                    class Device
                    {
                        static byte[] msg = new byte[80];

                        void Write(byte[] buff, int len)
                        {
                            if (len > msg.Length)
                            {
                                throw new ArgumentOutOfRangeException(nameof(len), "The copy length must not exceed the size of 'msg'.");
                            }

                            Buffer.BlockCopy(buff, 0, msg, 0, len);
                        }
                    }
                    """,
                    """
                    using System;

                    class Frame
                    {
                        private readonly byte[] payload = new byte[64];

                        public void Load(byte[] data, int count)
                        {
                            if (count > payload.Length)
                            {
                                throw new ArgumentOutOfRangeException(nameof(count), "The copy length must not exceed the size of 'payload'.");
                            }

                            Array.Copy(data, payload, count);
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = UncheckedCopyLengthFix.GuardKey,
        };
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- review: look-alikes

    [Fact]
    public Task Review_ThrowIfGreaterThan_bounds_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private const int RecordSize = 80;
                private static readonly byte[] msg = new byte[RecordSize];

                void Write(byte[] buff, int len)
                {
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(len, msg.Length);
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }

                void WriteRecord(ReadOnlySpan<byte> data, int count)
                {
                    ArgumentOutOfRangeException.ThrowIfNegative(count);
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(count, RecordSize);
                    data.Slice(0, count).CopyTo(msg);
                }
            }
            """);

    [Fact]
    public Task Review_unsigned_cast_guard_bounds_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    if ((uint)len > (uint)msg.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len));
                    }

                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }

                bool TryWrite(ReadOnlySpan<byte> data, int len)
                {
                    Span<byte> scratch = stackalloc byte[64];
                    if (len < 0 || len > scratch.Length)
                        return false;
                    data.Slice(0, len).CopyTo(scratch);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Review_destinations_sized_from_the_source_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Framer
            {
                byte[] Clone(byte[] src)
                {
                    var copy = new byte[src.Length];
                    Buffer.BlockCopy(src, 0, copy, 0, src.Length);
                    return copy;
                }

                byte[] Frame(byte[] payload)
                {
                    var frame = new byte[payload.Length + 4];
                    Array.Copy(payload, 0, frame, 4, payload.Length);
                    return frame;
                }

                byte[] Prefix(ReadOnlySpan<byte> data, int n)
                {
                    var result = new byte[n];
                    data[..n].CopyTo(result);
                    return result;
                }
            }
            """);

    [Fact]
    public Task Review_counts_clamped_inline_by_Math_Min_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    buff.AsSpan(0, Math.Min(len, msg.Length)).CopyTo(msg);
                }

                void WriteRange(byte[] buff, int len)
                {
                    var n = Math.Min(len, msg.Length);
                    buff.AsSpan()[..n].CopyTo(msg);
                }

                void WriteGuarded(ReadOnlySpan<byte> data, int n)
                {
                    if (n > msg.Length) return;
                    data[..n].CopyTo(msg);
                }
            }
            """);

    // ---------------------------------------------------------------- review: flagged

    [Fact]
    public Task Review_Debug_Assert_is_not_a_guard()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Diagnostics;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    Debug.Assert(len <= msg.Length);
                    {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                }
            }
            """);

    // ---------------------------------------------------------------- real code: a sliding window (SharpZipLib's OutputWindow shape)

    [Fact]
    public Task Guard_on_a_local_computed_from_the_count_bounds_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class History
            {
                private const int Size = 1 << 15;
                private readonly byte[] window = new byte[Size];
                private int end;

                public void Repeat(int length, int distance)
                {
                    int start = (end - distance) & (Size - 1);
                    int border = Size - length;
                    if (start <= border && end < border)
                    {
                        Array.Copy(window, start, window, end, length);
                        end += length;
                    }
                }
            }
            """);

    [Fact]
    public Task Guard_on_a_local_whose_inputs_changed_after_it_was_computed_does_not_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class History
            {
                private const int Size = 1 << 15;
                private readonly byte[] window = new byte[Size];

                public void Put(byte[] data, int at, int length, int more)
                {
                    int border = Size - length;
                    length += more;
                    if (at < border)
                    {
                        {|KS0001:Array.Copy(data, 0, window, at, length)|};
                    }
                }

                public void Again(byte[] data, int at, int length)
                {
                    int border = Size - length;
                    if (at < border)
                    {
                        border = Size;
                        {|KS0001:Array.Copy(data, 0, window, at, length)|};
                    }
                }

                public void Loop(byte[] data, int at, int length, int step)
                {
                    int border = Size - length;
                    while (at < border)
                    {
                        {|KS0001:Array.Copy(data, 0, window, at, length)|};
                        length += step;
                    }
                }
            }
            """);

    [Fact]
    public Task Count_that_cancels_out_of_the_range_end_is_not_what_overruns()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class History
            {
                private const int Size = 1 << 15;
                private readonly byte[] window = new byte[Size];
                private int end;

                public int CopyOutput(byte[] output, int offset, int len)
                {
                    int copyEnd = end & (Size - 1);
                    if (len > copyEnd)
                    {
                        len = copyEnd;
                    }

                    Array.Copy(window, copyEnd - len, output, offset, len);
                    return len;
                }

                public void Tail(byte[] output, int tail)
                {
                    Array.Copy(window, Size - tail, output, 0, tail);
                }
            }
            """);

    [Fact]
    public Task Count_that_cancels_out_still_flags_a_range_end_from_the_caller()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class History
            {
                private const int Size = 1 << 15;
                private readonly byte[] window = new byte[Size];

                public void CopyOut(byte[] output, int stop, int len)
                {
                    {|KS0001:Array.Copy(window, stop - len, output, 0, len)|};
                }

                public void CopyIn(byte[] input, int stop, int len)
                {
                    {|KS0001:Array.Copy(input, 0, window, stop - len, len)|};
                }
            }
            """);

    [Fact]
    public Task A_count_of_something_else_is_not_taken_for_the_buffers_length()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            static class Chunks
            {
                private const int IdSize = 8;

                static byte[] Header(int sequenceNumber, int sequenceCount, byte[] id)
                {
                    var header = new byte[12];
                    {|#0:Array.ConstrainedCopy(id, 0, header, 2, IdSize)|};
                    header[10] = (byte)sequenceNumber;
                    header[11] = (byte)sequenceCount;
                    return header;
                }

                static byte[] Frame(int retryCount, byte[] data, int dataLength)
                {
                    var frame = new byte[12];
                    {|#1:Array.Copy(data, frame, IdSize)|};
                    return frame;
                }

                static byte[] Named(byte[] id, int idLen)
                {
                    var frame = new byte[12];
                    {|#2:Array.Copy(id, frame, IdSize)|};
                    return frame;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Array.ConstrainedCopy", "IdSize", "elements", "nothing checks that the caller's buffer 'id' holds 8"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Array.Copy", "IdSize", "elements", "'data' is a caller's buffer and 'dataLength' is never compared with 'IdSize'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Array.Copy", "IdSize", "elements", "'id' is a caller's buffer and 'idLen' is never compared with 'IdSize'"));

    [Fact]
    public Task Own_state_of_the_object_is_its_invariant_not_the_callers_input()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Digest
            {
                private readonly ulong[] state = new ulong[25];
                private readonly byte[] scratch = new byte[4];
                private int scratchLength;
                private int consumed;

                public Digest(Digest source)
                {
                    Array.Copy(source.state, 0, this.state, 0, source.state.Length);
                    Array.Copy(source.state, state, source.state.LongLength);
                }

                public void ReadCrc(ReadOnlySpan<byte> input)
                {
                    int available = Math.Min(input.Length, 4 - consumed);
                    input.Slice(0, available).CopyTo(scratch.AsSpan(scratchLength));
                    scratchLength += available;
                    consumed += available;
                }
            }
            """);

    [Fact]
    public Task Batch_that_is_flushed_when_the_next_line_does_not_fit_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            class StatsBatch
            {
                public const int MaxPacketSize = 1432;
                private readonly byte[] _batch = new byte[MaxPacketSize];
                private readonly object _gate = new object();
                private int _batchLength;

                public void Append(ReadOnlySpan<byte> line)
                {
                    if (line.Length > MaxPacketSize)
                    {
                        return;
                    }

                    lock (_gate)
                    {
                        int separator = _batchLength == 0 ? 0 : 1;
                        if (_batchLength + separator + line.Length > _batch.Length)
                        {
                            FlushLocked();
                            separator = 0;
                        }

                        if (separator == 1)
                        {
                            _batch[_batchLength++] = (byte)'\n';
                        }

                        line.CopyTo(_batch.AsSpan(_batchLength));
                        _batchLength += line.Length;
                    }
                }

                private void FlushLocked()
                {
                    if (_batchLength == 0) return;
                    Console.OpenStandardOutput().Write(_batch, 0, _batchLength);
                    _batchLength = 0;
                }
            }

            class ChunkWriter
            {
                private readonly byte[] _buffer = new byte[4096];
                private readonly Stream _stream;
                private int _pos;

                public ChunkWriter(Stream stream) => _stream = stream;

                public void Write(byte[] data, int offset, int count)
                {
                    if (count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
                    if (_buffer.Length < _pos + count)
                    {
                        _stream.Write(_buffer, 0, _pos);
                        _pos = 0;
                    }

                    Buffer.BlockCopy(data, offset, _buffer, _pos, count);
                    _pos += count;
                }
            }
            """);

    [Fact]
    public Task Batch_flush_that_cannot_make_room_or_resets_nothing_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;

            class ChunkWriter
            {
                private readonly byte[] _buffer = new byte[4096];
                private readonly Stream _stream;
                private int _pos;
                private int _flushes;

                public ChunkWriter(Stream stream) => _stream = stream;

                public void WriteAnySize(byte[] data, int count)
                {
                    if (_pos + count > _buffer.Length)
                    {
                        Flush();
                    }

                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _pos, count)|};
                    _pos += count;
                }

                public void WriteAfterCounting(byte[] data, int count)
                {
                    if (count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
                    if (_pos + count > _buffer.Length)
                    {
                        CountFlush();
                    }

                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _pos, count)|};
                    _pos += count;
                }

                public void WriteAfterTestingTheCountAlone(byte[] data, int count)
                {
                    if (count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
                    if (count > _buffer.Length / 2)
                    {
                        Flush();
                    }

                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _pos, count)|};
                    _pos += count;
                }

                private void Flush()
                {
                    _stream.Write(_buffer, 0, _pos);
                    _pos = 0;
                }

                private void CountFlush() => _flushes++;
            }
            """);

    [Fact]
    public Task State_that_the_caller_can_reach_or_size_is_still_checked()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Digest
            {
                private readonly ulong[] state;
                private readonly ulong[] fixedState = new ulong[25];
                private readonly byte[] scratch = new byte[4];
                private int cursor;
                public int Position;

                public Digest(int words) => state = new ulong[words];

                public void From(Digest source)
                {
                    {|KS0001:Array.Copy(source.state, 0, this.fixedState, 0, source.state.Length)|};
                }

                public void Put(ReadOnlySpan<byte> input)
                {
                    {|KS0001:input.Slice(0, 2).CopyTo(scratch.AsSpan(Position))|};
                }

                public void Append(byte[] data, int count)
                {
                    {|KS0001:Buffer.BlockCopy(data, 0, scratch, cursor, count)|};
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_bounds_by_the_buffers_own_length_when_the_other_count_is_not_its_length()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            static class Chunks
            {
                private const int IdSize = 8;

                static byte[] Header(int sequenceNumber, int sequenceCount, byte[] id)
                {
                    var header = new byte[12];
                    {|KS0001:Array.ConstrainedCopy(id, 0, header, 2, IdSize)|};
                    header[10] = (byte)sequenceNumber;
                    header[11] = (byte)sequenceCount;
                    return header;
                }

                static byte[] Trailer(int retryCount, byte[] id)
                {
                    var trailer = new byte[12];
                    {|KS0001:Array.Copy(id, trailer, IdSize)|};
                    trailer[8] = (byte)retryCount;
                    return trailer;
                }
            }
            """, """
            using System;

            static class Chunks
            {
                private const int IdSize = 8;

                static byte[] Header(int sequenceNumber, int sequenceCount, byte[] id)
                {
                    var header = new byte[12];
                    Array.ConstrainedCopy(id, 0, header, 2, Math.Min(IdSize, id.Length));
                    header[10] = (byte)sequenceNumber;
                    header[11] = (byte)sequenceCount;
                    return header;
                }

                static byte[] Trailer(int retryCount, byte[] id)
                {
                    var trailer = new byte[12];
                    Array.Copy(id, trailer, Math.Min(IdSize, id.Length));
                    trailer[8] = (byte)retryCount;
                    return trailer;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    // ---------------------------------------------------------------- review: fixes

    [Fact]
    public Task Review_clamp_fix_in_a_checked_lambda_keeps_compiling()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                Action<byte[], int> Writer() => (buff, len) =>
                {
                    checked
                    {
                        {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                    }
                };
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                Action<byte[], int> Writer() => (buff, len) =>
                {
                    checked
                    {
                        Buffer.BlockCopy(buff, 0, msg, 0, Math.Min(len, msg.Length));
                    }
                };
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Review_guard_fix_in_a_switch_section()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(int kind, byte[] buff, int len)
                {
                    switch (kind)
                    {
                        case 1:
                            {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                            break;
                    }
                }
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(int kind, byte[] buff, int len)
                {
                    switch (kind)
                    {
                        case 1:
                            if (len > msg.Length)
                            {
                                throw new ArgumentOutOfRangeException(nameof(len), "The copy length must not exceed the size of 'msg'.");
                            }

                            Buffer.BlockCopy(buff, 0, msg, 0, len);
                            break;
                    }
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Review_clamp_fix_when_the_user_declares_a_Math_type()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            namespace Device
            {
                static class Math { public static int Square(int x) => x * x; }

                class Writer
                {
                    private static readonly byte[] msg = new byte[80];

                    void Write(byte[] buff, int len)
                    {
                        {|KS0001:Buffer.BlockCopy(buff, 0, msg, 0, len)|};
                    }
                }
            }
            """, """
            using System;

            namespace Device
            {
                static class Math { public static int Square(int x) => x * x; }

                class Writer
                {
                    private static readonly byte[] msg = new byte[80];

                    void Write(byte[] buff, int len)
                    {
                        Buffer.BlockCopy(buff, 0, msg, 0, System.Math.Min(len, msg.Length));
                    }
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Review_guard_in_a_switch_section_bounds_the_copy_after_it()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(int kind, byte[] buff, int len)
                {
                    switch (kind)
                    {
                        case 1:
                            if (len > msg.Length)
                                throw new ArgumentOutOfRangeException(nameof(len));
                            Buffer.BlockCopy(buff, 0, msg, 0, len);
                            break;
                        default:
                            len = Math.Min(len, msg.Length);
                            Buffer.BlockCopy(buff, 0, msg, 0, len);
                            break;
                    }
                }
            }
            """);

    [Fact]
    public Task Review_pattern_and_negated_guards_bound_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private const int Size = 80;
                private static readonly byte[] msg = new byte[Size];

                void WritePattern(byte[] buff, int len)
                {
                    if (len is < 0 or > Size)
                        throw new ArgumentOutOfRangeException(nameof(len));
                    Buffer.BlockCopy(buff, 0, msg, 0, len);
                }

                void WriteNotInRange(byte[] buff, int len)
                {
                    if (len is not (>= 0 and <= Size))
                        return;
                    msg.AsSpan().Clear();
                    buff.AsSpan(0, len).CopyTo(msg);
                }

                bool WriteNegated(byte[] buff, int len)
                {
                    if (!(len <= msg.Length))
                        return false;
                    Array.Copy(buff, msg, len);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Review_stackalloc_or_array_chosen_by_the_count_is_made_from_the_count()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Encoder
            {
                int Checksum(ReadOnlySpan<byte> src, int len)
                {
                    Span<byte> scratch = len <= 256 ? stackalloc byte[len] : new byte[len];
                    src.Slice(0, len).CopyTo(scratch);
                    int sum = 0;
                    foreach (var b in scratch) sum += b;
                    return sum;
                }
            }
            """);

    [Fact]
    public Task Review_field_sized_by_the_count_in_the_same_constructor_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Packet
            {
                private readonly byte[] payload;

                public Packet(byte[] data, int size)
                {
                    payload = new byte[size];
                    Array.Copy(data, payload, size);
                }
            }
            """);

    [Fact]
    public Task Review_guards_inside_try_lock_and_checked_blocks_bound_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private readonly object gate = new object();
                private readonly byte[] msg = new byte[80];

                void Write(byte[] buff, int len)
                {
                    lock (gate)
                    {
                        try
                        {
                            checked
                            {
                                if (len > msg.Length) throw new ArgumentOutOfRangeException(nameof(len));
                                Buffer.BlockCopy(buff, 0, msg, 0, len);
                            }
                        }
                        finally
                        {
                            Console.WriteLine("written");
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task Review_clamp_fix_names_the_field_when_a_parameter_shadows_it()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private readonly byte[] msg = new byte[80];

                void Write(byte[] msg, int len)
                {
                    {|KS0001:Buffer.BlockCopy(msg, 0, this.msg, 0, len)|};
                }
            }
            """, """
            using System;

            class Device
            {
                private readonly byte[] msg = new byte[80];

                void Write(byte[] msg, int len)
                {
                    Buffer.BlockCopy(msg, 0, this.msg, 0, Math.Min(len, this.msg.Length));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Review_guard_fix_names_the_static_field_when_a_local_shadows_it()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] buffer = new byte[80];

                void Write(byte[] data, int len)
                {
                    var buffer = data;
                    {|KS0001:Buffer.BlockCopy(buffer, 0, Device.buffer, 0, len)|};
                }
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] buffer = new byte[80];

                void Write(byte[] data, int len)
                {
                    var buffer = data;
                    if (len > Device.buffer.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(len), "The copy length must not exceed the size of 'Device.buffer'.");
                    }

                    Buffer.BlockCopy(buffer, 0, Device.buffer, 0, len);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Review_range_with_a_caller_count_into_a_fixed_size_field_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(ReadOnlySpan<byte> data, int n)
                {
                    {|KS0001:data[..n].CopyTo(msg)|};
                }
            }
            """);

    [Fact]
    public Task Review_clamp_fix_inside_a_range()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(ReadOnlySpan<byte> data, int n)
                {
                    {|KS0001:data[..n].CopyTo(msg)|};
                }
            }
            """, """
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Write(ReadOnlySpan<byte> data, int n)
                {
                    data[..Math.Min(n, msg.Length)].CopyTo(msg);
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    [Fact]
    public Task Review_ranges_that_are_bounded_or_not_prefixes_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Device
            {
                private static readonly byte[] msg = new byte[80];

                void Guarded(ReadOnlySpan<byte> data, int n)
                {
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(n, msg.Length);
                    data[..n].CopyTo(msg);
                }

                void Clamped(ReadOnlySpan<byte> data, int n)
                {
                    data[..Math.Min(n, msg.Length)].CopyTo(msg);
                }

                void IntoFresh(ReadOnlySpan<byte> data, int n)
                {
                    var copy = new byte[n];
                    data[..n].CopyTo(copy);
                }
            }
            """);

    // ---------------------------------------------------------------- long methods
    // A long flat method is read through indexes a short one does not need (the statements' positions in the block, the
    // declarators in the body, the identifiers' positions in its text, the count of guards per variable): the same
    // guards and assignments must decide.

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Guards_and_definitions_at_the_top_of_a_long_method_reach_its_end(bool reassignedMidway)
    {
        var middle = reassignedMidway ? "len = other;\n        clamped = other;\n        scratch = new byte[other];\n" : "";
        var source = $$"""
            using System;

            class Device
            {
                private readonly byte[] msg = new byte[80];

                int Write(byte[] buff, int len, int other)
                {
                    if (len > msg.Length) return -1;
                    var clamped = Math.Min(other, 80);
                    var scratch = new byte[16];
                    int total = 0;
            {{Statements(300)}}
                    {{middle}}
            {{Statements(300)}}
                    {{Marked("Buffer.BlockCopy(buff, 0, msg, 0, len)", reassignedMidway)}};
                    {{Marked("Buffer.BlockCopy(buff, 0, msg, 0, clamped)", reassignedMidway)}};
                    {{Marked("Buffer.BlockCopy(buff, 0, scratch, 0, other)", !reassignedMidway)}};
                    return total;
                }
            }
            """;
        return VerifyCS.VerifyAnalyzerAsync(source);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task A_guard_among_hundreds_in_a_long_method_still_bounds_its_own_copy(bool guardKilled)
    {
        // Hundreds of guards stay in scope; the one about 'len' is dropped only when 'len' is assigned after it.
        var guards = string.Concat(Enumerable.Range(0, 200).Select(i => $"        var n{i} = buff[{i % 7}];\n        if (n{i} > 40) return -{i};\n"));
        var kill = guardKilled ? "len = other;" : "other = len;";
        var source = $$"""
            using System;

            class Device
            {
                private readonly byte[] msg = new byte[80];

                int Write(byte[] buff, int len, int other)
                {
                    if (len > msg.Length) return -1;
            {{guards}}
                    {{kill}}
            {{guards.Replace("var n", "var m").Replace("(n", "(m")}}
                    {{Marked("Buffer.BlockCopy(buff, 0, msg, 0, len)", guardKilled)}};
                    return len;
                }
            }
            """;
        return VerifyCS.VerifyAnalyzerAsync(source);
    }

    private static string Statements(int count)
        => string.Concat(Enumerable.Range(0, count).Select(i => $"        total += buff[{i % 5}] * {i};\n"));

    private static string Marked(string copy, bool flagged) => flagged ? "{|KS0001:" + copy + "|}" : copy;

    [Fact]
    public async Task Fix_all_writes_the_guard_type_in_full_where_System_is_not_imported()
    {
        // The fix never imports System: where it is not imported, it writes System.ArgumentOutOfRangeException.
        var test = new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.Runtime.InteropServices;

                    class Device
                    {
                        private readonly byte[] msg = new byte[80];
                        private readonly byte[] reply = new byte[16];

                        public void Write(nint buff, int len)
                        {
                            {|KS0001:Marshal.Copy(buff, msg, 0, len)|};
                        }

                        public void Reply(nint buff, int count)
                        {
                            {|KS0001:Marshal.Copy(buff, reply, 0, count)|};
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
                    using System.Runtime.InteropServices;

                    class Device
                    {
                        private readonly byte[] msg = new byte[80];
                        private readonly byte[] reply = new byte[16];

                        public void Write(nint buff, int len)
                        {
                            if (len > msg.Length)
                            {
                                throw new System.ArgumentOutOfRangeException(nameof(len), "The copy length must not exceed the size of 'msg'.");
                            }

                            Marshal.Copy(buff, msg, 0, len);
                        }

                        public void Reply(nint buff, int count)
                        {
                            if (count > reply.Length)
                            {
                                throw new System.ArgumentOutOfRangeException(nameof(count), "The copy length must not exceed the size of 'reply'.");
                            }

                            Marshal.Copy(buff, reply, 0, count);
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = UncheckedCopyLengthFix.GuardKey,
        };
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- a private helper's callers check the buffer

    [Fact]
    public Task Private_helper_whose_only_caller_guards_the_buffer_length_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class RomHeader
            {
                public string Title { get; } = "";

                public RomHeader(byte[] rom)
                {
                    if (rom.Length < 0x150)   // every path to ReadTitle passes this guard
                    {
                        return;
                    }
                    Title = ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);   // 0x134 + 16 = 0x144 <= 0x150
                    return System.Text.Encoding.ASCII.GetString(name).TrimEnd('\0');
                }
            }
            """);

    [Fact]
    public Task Private_helper_reached_through_private_callers_that_pass_a_made_buffer_on_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class HciParser
            {
                public void Loop()
                {
                    byte[] buffer = new byte[255];
                    ParseEvent(buffer);
                }

                private void ParseEvent(byte[] buffer)
                {
                    if (buffer[1] == 0x02) ParseInquiryResult(buffer, 2);
                    else ParseInquiryResult(buffer, 4);
                }

                private void ParseInquiryResult(byte[] buffer, int offset)
                {
                    Console.WriteLine(CreateAddress(buffer, offset).Length);
                }

                private static byte[] CreateAddress(byte[] bytes, int offset)
                {
                    byte[] addressBytes = new byte[6];
                    Array.Copy(bytes, offset, addressBytes, 0, 6);
                    return addressBytes;
                }
            }

            public sealed class TwoLevelsOfHelpers
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    return Forward(rom);
                }

                private static string Forward(byte[] data) => ReadTitle(data);

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }
            """);

    [Fact]
    public Task Offset_plus_a_private_field_that_stays_at_its_initial_value_is_bounded_by_the_guard()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class UniverseFrame
            {
                private readonly byte[] _slots = new byte[513];
                private int _shift = 0;
                private int _base = 1;

                public void Put(int firstChannel, byte[] levels)
                {
                    if (firstChannel < 1 || firstChannel + levels.Length > 512)
                        throw new ArgumentOutOfRangeException(nameof(firstChannel));

                    Buffer.BlockCopy(levels, 0, _slots, firstChannel + _shift, levels.Length);
                    Buffer.BlockCopy(levels, 0, _slots, firstChannel + _base, levels.Length);
                }
            }
            """);

    [Fact]
    public Task Offset_plus_a_private_field_that_changes_or_is_visible_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class UniverseFrame
            {
                private readonly byte[] _slots = new byte[513];
                private int _shift = 0;
                private int _bumped = 0;
                private int _unset;
                [Obsolete] private int _marked = 0;
                private int _two = 2;
                internal int Visible = 0;

                public void Shift(int by) => _shift = by;

                public void Put(int firstChannel, byte[] levels)
                {
                    if (firstChannel < 1 || firstChannel + levels.Length > 512)
                        throw new ArgumentOutOfRangeException(nameof(firstChannel));

                    _bumped++;
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + _shift, levels.Length)|};
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + _bumped, levels.Length)|};
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + Visible, levels.Length)|};
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + _unset, levels.Length)|};
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + _marked, levels.Length)|};
                    {|KS0001:Buffer.BlockCopy(levels, 0, _slots, firstChannel + _two, levels.Length)|};
                }
            }
            """);

    [Fact]
    public Task Private_helper_given_fields_holding_encoded_literals_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Text;

            sealed class TagFramer
            {
                private const int TagLen = 8;
                private static readonly byte[] HelloTag = Encoding.ASCII.GetBytes("HELLO123");
                private static readonly byte[] ByeTag = System.Text.Encoding.UTF8.GetBytes("BYE-BYE!");
                private static readonly byte[] IdleTag = "IDLE0000"u8.ToArray();
                private readonly byte[] _zeroTag = new byte[TagLen];

                public byte[] Seal(byte[] body, int kind)
                {
                    var frame = new byte[TagLen + body.Length];
                    switch (kind)
                    {
                        case 0: Stamp(frame, HelloTag); break;
                        case 1: Stamp(frame, ByeTag); break;
                        case 2: Stamp(frame, IdleTag); break;
                        default: Stamp(frame, _zeroTag); break;
                    }

                    return frame;
                }

                private static void Stamp(byte[] frame, byte[] tag)
                {
                    Array.Copy(tag, 0, frame, 0, TagLen);
                }
            }
            """);

    [Fact]
    public Task Private_helper_given_a_field_holding_a_shorter_encoded_literal_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Text;

            sealed class TagFramer
            {
                private const int TagLen = 8;
                private static readonly byte[] HelloTag = Encoding.ASCII.GetBytes("HELLO");
                private static readonly byte[] Unknown = Encoding.Unicode.GetBytes("HELLO123");

                public byte[] Seal(byte[] body, int kind)
                {
                    var frame = new byte[TagLen + body.Length];
                    Stamp(frame, HelloTag);
                    StampUnknown(frame, Unknown);
                    return frame;
                }

                private static void Stamp(byte[] frame, byte[] tag)
                {
                    {|KS0001:Array.Copy(tag, 0, frame, 0, TagLen)|};
                }

                // Encoding.Unicode: two bytes a character; not read, so the copy stays as unchecked as before.
                private static void StampUnknown(byte[] frame, byte[] tag)
                {
                    {|KS0001:Array.Copy(tag, 0, frame, 0, TagLen)|};
                }
            }
            """);

    [Fact]
    public Task Field_from_a_user_type_named_Encoding_has_no_known_size()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Encoding
            {
                public static readonly Hex ASCII = new Hex();
            }

            sealed class Hex
            {
                // Two characters a byte: "HELLO123" is 4 bytes.
                public byte[] GetBytes(string text) => new byte[text.Length / 2];
            }

            sealed class TagFramer
            {
                private const int TagLen = 8;
                private static readonly byte[] HelloTag = Encoding.ASCII.GetBytes("HELLO123");

                public byte[] Seal(byte[] body)
                {
                    var frame = new byte[TagLen + body.Length];
                    Stamp(frame, HelloTag);
                    return frame;
                }

                private static void Stamp(byte[] frame, byte[] tag)
                {
                    {|KS0001:Array.Copy(tag, 0, frame, 0, TagLen)|};
                }
            }
            """);

    [Fact]
    public Task Private_helper_reached_through_a_caller_that_changes_what_it_passes_on_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class HciParser
            {
                public void Loop(byte[] given)
                {
                    byte[] buffer = new byte[255];
                    Shifted(buffer, 2);
                    Replaced(buffer);
                    Public(buffer, 2);
                }

                // The offset grows past what the buffer was made for.
                private void Shifted(byte[] buffer, int offset)
                {
                    offset += 300;
                    Read(buffer, offset);
                }

                // The buffer passed on is not the one the caller was given.
                private void Replaced(byte[] buffer)
                {
                    buffer = new byte[3];
                    Read2(buffer, 0);
                }

                // A public caller: anyone may pass anything.
                public void Public(byte[] buffer, int offset) => Read3(buffer, offset);

                private static byte[] Read(byte[] bytes, int offset)
                {
                    byte[] address = new byte[6];
                    {|KS0001:Array.Copy(bytes, offset, address, 0, 6)|};
                    return address;
                }

                private static byte[] Read2(byte[] bytes, int offset)
                {
                    byte[] address = new byte[6];
                    {|KS0001:Array.Copy(bytes, offset, address, 0, 6)|};
                    return address;
                }

                private static byte[] Read3(byte[] bytes, int offset)
                {
                    byte[] address = new byte[6];
                    {|KS0001:Array.Copy(bytes, offset, address, 0, 6)|};
                    return address;
                }
            }
            """);

    [Fact]
    public Task Private_helper_whose_every_caller_guards_or_makes_the_buffer_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Text;

            public sealed class TwoCallers
            {
                public string Title { get; } = "";

                public TwoCallers(byte[] rom)
                {
                    if (rom.Length < 0x150)
                    {
                        return;
                    }

                    Title = ReadTitle(rom);
                }

                public static string Parse(byte[] image)
                {
                    if (image.Length < 0x150)
                    {
                        throw new ArgumentException("Too short for a header.", nameof(image));
                    }

                    return ReadTitle(image);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return Encoding.ASCII.GetString(name).TrimEnd('\0');
                }
            }

            public sealed class InsideTheCheck
            {
                public static string Peek(byte[] rom)
                {
                    if (rom.Length >= 0x150)
                    {
                        return ReadTitle(rom);
                    }

                    return "";
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return Encoding.ASCII.GetString(name).TrimEnd('\0');
                }
            }

            public sealed class MadeLargeEnough
            {
                public static string Blank() => ReadTitle(new byte[0x200]);

                public static string Exact()
                {
                    var buffer = new byte[0x144];
                    return nameof(ReadTitle) + ": " + MadeLargeEnough.ReadTitle(buffer);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return Encoding.ASCII.GetString(name).TrimEnd('\0');
                }
            }

            public sealed class Packet
            {
                private readonly byte[] header = new byte[8];

                public void Load(ReadOnlySpan<byte> data)
                {
                    if (data.Length < 8) throw new ArgumentException("Too short.", nameof(data));
                    Fill(data);

                    void Fill(ReadOnlySpan<byte> source) => source.Slice(0, 8).CopyTo(header);
                }
            }
            """);

    [Fact]
    public Task Private_helper_called_from_another_part_of_a_partial_class_is_judged_by_that_call()
        => new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    public sealed partial class Rom
                    {
                        private static byte[] ReadLogo(byte[] rom)
                        {
                            var logo = new byte[48];
                            Buffer.BlockCopy(rom, 0x104, logo, 0, 48);
                            return logo;
                        }
                    }
                    """,
                    """
                    using System;

                    public sealed partial class Rom
                    {
                        public byte[] Logo { get; } = Array.Empty<byte>();

                        public Rom(byte[] rom)
                        {
                            if (rom.Length < 0x134) return;
                            Logo = ReadLogo(rom);
                        }
                    }
                    """,
                },
            },
        }.RunAsync();

    [Fact]
    public Task Private_partial_extension_and_generic_helpers_are_judged_by_their_callers_guards()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed partial class Partial
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    return ReadTitle(rom);
                }

                private partial string ReadTitle(byte[] rom);
            }

            public sealed partial class Partial
            {
                private partial string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return BitConverter.ToString(name);
                }
            }

            public static class Extension
            {
                public static string Load(byte[] rom) => rom.Length < 0x150 ? "" : rom.ReadTitle();

                private static string ReadTitle(this byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return BitConverter.ToString(name);
                }
            }

            public sealed class Generic
            {
                public string Load(byte[] rom, int[] words)
                {
                    if (rom.Length < 0x150 || words.Length < 4) return "";
                    return ReadTitle<int>(rom) + Words(words);
                }

                private string ReadTitle<T>(byte[] rom)
                {
                    byte[] name = new byte[16];
                    Array.Copy(rom, 0x134, name, 0, 16);
                    return BitConverter.ToString(name) + typeof(T).Name;
                }

                private static string Words(int[] words)
                {
                    var bytes = new byte[16];
                    Buffer.BlockCopy(words, 0, bytes, 0, 16);   // 16 bytes: 4 ints
                    return BitConverter.ToString(bytes);
                }
            }
            """);

    [Fact]
    public Task Private_helper_is_flagged_unless_every_call_is_a_checked_direct_call()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            public sealed class OneCallerUnchecked
            {
                public string Checked(byte[] rom) => rom.Length < 0x150 ? "" : ReadTitle(rom);

                public string Unchecked(byte[] rom) => ReadTitle(rom);

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#0:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class GuardShortByOne
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x143) return "";
                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#1:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public class NotPrivate
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    return ReadPublic(rom) + ReadInternal(rom) + ReadProtected(rom);
                }

                public static string ReadPublic(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#2:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }

                internal static string ReadInternal(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#3:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }

                protected static string ReadProtected(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#4:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class UsedAsMethodGroup
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    Func<byte[], string> read = ReadTitle;
                    return ReadTitle(rom) + read(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#5:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class GuardsAnotherArray
            {
                public string Load(byte[] rom, byte[] header)
                {
                    if (header.Length < 0x150) return "";
                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#6:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class GuardOnOnePath
            {
                public string Load(byte[] rom, bool strict)
                {
                    if (strict)
                    {
                        if (rom.Length < 0x150) return "";
                    }

                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#7:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class TwoLevelsOfHelpersShortByOne
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x143) return "";
                    return Forward(rom);
                }

                private static string Forward(byte[] data) => ReadTitle(data);

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#8:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class NeverCalled
            {
                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#9:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class CalledFromALambda
            {
                public Func<string> Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return () => "";
                    return () => ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#10:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class ReassignedAfterTheGuard
            {
                public string Load(byte[] rom, byte[] other)
                {
                    if (rom.Length < 0x150) return "";
                    rom = other;
                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#11:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class Recursive
            {
                public string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#12:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return name[0] == 0 ? "" : ReadTitle(rom);
                }
            }

            public sealed class AddressTaken
            {
                public unsafe string Load(byte[] rom)
                {
                    if (rom.Length < 0x150) return "";
                    delegate*<byte[], string> read = &ReadTitle;
                    return ReadTitle(rom);
                }

                private static string ReadTitle(byte[] rom)
                {
                    byte[] name = new byte[16];
                    {|#13:Array.Copy(rom, 0x134, name, 0, 16)|};
                    return System.Text.Encoding.ASCII.GetString(name);
                }
            }

            public sealed class WordsShortByOne
            {
                public string Load(int[] words)
                {
                    if (words.Length < 3) return "";
                    return Read(words);
                }

                private static string Read(int[] words)
                {
                    var bytes = new byte[16];
                    {|#14:Buffer.BlockCopy(words, 0, bytes, 0, 16)|};
                    return BitConverter.ToString(bytes);
                }
            }
            """,
            Title(0), Title(1), Title(2), Title(3), Title(4), Title(5), Title(6), Title(7), Title(8), Title(9), Title(10), Title(11),
            Title(12), Title(13),
            VerifyCS.Diagnostic("KS0001").WithLocation(14).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Buffer.BlockCopy", "16", "bytes", "nothing checks that the caller's buffer 'words' holds 16"));

    private static DiagnosticResult Title(int location)
        => VerifyCS.Diagnostic("KS0001").WithLocation(location).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
            .WithArguments("Array.Copy", "16", "elements", "nothing checks that the caller's buffer 'rom' holds 324");

    // ---------------------------------------------------------------- a constant count read from the caller's offset

    // Discord.Net's SodiumEncryptStream.Write: 12 nonce bytes read at the caller's offset, with nothing checking that
    // 'count' (what the caller promises from 'offset') reaches 12.
    [Fact]
    public Task Constant_count_read_from_a_callers_offset_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;
            using System.IO;

            public sealed class SodiumEncryptStream : Stream
            {
                private readonly Stream _next;
                private readonly byte[] _nonce = new byte[24];

                public SodiumEncryptStream(Stream next) => _next = next;

                public override void Write(byte[] buffer, int offset, int count)
                {
                    {|#0:Buffer.BlockCopy(buffer, offset, _nonce, 0, 12)|};
                    _next.Write(buffer, offset + 12, count - 12);
                }

                public override bool CanRead => false;
                public override bool CanSeek => false;
                public override bool CanWrite => true;
                public override long Length => throw new NotSupportedException();
                public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
                public override void Flush() => _next.Flush();
                public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
                public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
                public override void SetLength(long value) => throw new NotSupportedException();
            }

            public sealed class Records
            {
                private readonly byte[] _word = new byte[4];
                private readonly byte[] _tag = new byte[4];
                private readonly byte[] _id = new byte[16];

                public uint ReadWord(byte[] data, int pos)
                {
                    {|#1:Array.Copy(data, pos, _word, 0, 4)|};
                    return BitConverter.ToUInt32(_word, 0);
                }

                public void ReadTag(byte[] data, int pos)
                {
                    if (data.Length < 4) return;   // checks offset 0 only
                    {|#2:Array.Copy(data, pos, _tag, 0, 4)|};
                }

                public void ReadTrailer(byte[] buffer, int offset, int count)
                {
                    if (count < 12) throw new ArgumentException("short", nameof(count));
                    {|#3:Buffer.BlockCopy(buffer, offset + 12, _tag, 0, 4)|};   // needs count >= 16
                }

                public Guid ReadId(ReadOnlySpan<byte> packet, int offset)
                {
                    {|#4:packet.Slice(offset, 16).CopyTo(_id)|};
                    return new Guid(_id);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Buffer.BlockCopy", "12", "bytes", "nothing checks that the caller's buffer 'buffer' holds 'offset + 12' ('count' is never compared with '12')"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "4", "elements", "nothing checks that the caller's buffer 'data' holds 'pos + 4'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "4", "elements", "nothing checks that the caller's buffer 'data' holds 'pos + 4'"),
            VerifyCS.Diagnostic("KS0001").WithLocation(3).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Buffer.BlockCopy", "4", "bytes", "nothing checks that the caller's buffer 'buffer' holds 'offset + 12 + 4' ('count' is never compared with '16')"),
            VerifyCS.Diagnostic("KS0001").WithLocation(4).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "ReadOnlySpan.CopyTo", "16", "elements", "nothing checks that the caller's buffer 'packet' holds 'offset + 16'"));

    // The same copies proved safe: the triple's count checked (it counts from the offset), the buffer's own length checked
    // for offset + count, a loop that moves the offset along, an offset from the object's own state or a loop index, a
    // record index scaled by the record size (checked by division), and counts that are not constants (the other checks
    // judge those).
    [Fact]
    public Task Constant_count_read_from_a_callers_offset_that_is_checked_or_not_the_callers_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class Reader
            {
                private readonly byte[] _nonce = new byte[24];
                private readonly byte[] _word = new byte[4];
                private byte[] _data = new byte[64];
                private int _position;

                public void Write(byte[] buffer, int offset, int count)
                {
                    if (count < 12) throw new ArgumentException("A packet holds at least a nonce.", nameof(count));
                    Buffer.BlockCopy(buffer, offset, _nonce, 0, 12);
                }

                public void WriteThrowHelper(byte[] buffer, int offset, int count)
                {
                    ArgumentOutOfRangeException.ThrowIfLessThan(count, 12);
                    Buffer.BlockCopy(buffer, offset, _nonce, 0, 12);
                }

                public void Transform(byte[] src, int srcOffset, byte[] dst, int dstOffset, int count)
                {
                    if (count < 12) throw new ArgumentOutOfRangeException(nameof(count));
                    Buffer.BlockCopy(src, srcOffset, _nonce, 0, 12);
                    Buffer.BlockCopy(_nonce, 0, dst, dstOffset, 12);
                }

                public void WriteInside(byte[] buffer, int offset, int count)
                {
                    if (count >= 16)
                    {
                        Buffer.BlockCopy(buffer, offset + 12, _word, 0, 4);
                    }
                }

                public uint ReadWord(byte[] data, int pos)
                {
                    if (pos < 0 || pos + 4 > data.Length) throw new ArgumentOutOfRangeException(nameof(pos));
                    Array.Copy(data, pos, _word, 0, 4);
                    return BitConverter.ToUInt32(_word, 0);
                }

                public uint ReadWordLeft(byte[] data, int pos)
                {
                    if (data.Length - pos < 4) return 0;
                    Array.Copy(data, pos, _word, 0, 4);
                    return BitConverter.ToUInt32(_word, 0);
                }

                public void ReadAll(byte[] buffer, int offset, int count)
                {
                    while (count >= 12)
                    {
                        Buffer.BlockCopy(buffer, offset, _nonce, 0, 12);
                        offset += 12;
                        count -= 12;
                    }
                }

                public void ReadSteps(byte[] data)
                {
                    for (int i = 0; i + 4 <= data.Length; i += 4)
                    {
                        Buffer.BlockCopy(data, i, _word, 0, 4);
                    }
                }

                public uint ReadWordUnsigned(byte[] data, int pos)
                {
                    if ((uint)pos > (uint)(data.Length - 4)) throw new ArgumentOutOfRangeException(nameof(pos));
                    Array.Copy(data, pos, _word, 0, 4);
                    return BitConverter.ToUInt32(_word, 0);
                }

                public void CopySlot(byte[] table, int fromSlot, int toSlot)
                {
                    if (table.Length % 80 != 0) throw new ArgumentException("whole records only", nameof(table));
                    int slots = table.Length / 80;
                    ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)fromSlot, (uint)slots, nameof(fromSlot));
                    ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)toSlot, (uint)slots, nameof(toSlot));
                    Buffer.BlockCopy(table, fromSlot * 80, _data, 0, 64);
                }

                public void ReadOwn(byte[] unused)
                {
                    Buffer.BlockCopy(_data, _position, _word, 0, 4);
                }

                public void ReadCount(byte[] buffer, int offset, int count)
                {
                    Buffer.BlockCopy(buffer, offset, _data, 0, Math.Min(count, _data.Length));
                }
            }
            """);

    // A private helper given the caller's offset: each call is read with its own arguments, and a triple's count checked
    // by the caller proves it as it does in the helper itself. A call that proves nothing still flags the helper.
    [Fact]
    public Task Private_helper_reading_at_the_callers_offset_is_judged_by_each_call()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            public sealed class Header
            {
                private readonly byte[] _word = new byte[4];
                private readonly byte[] _nonce = new byte[12];

                public uint Parse(byte[] data)
                {
                    if (data.Length < 12) return 0;
                    return ReadWord(data, 0) + ReadWord(data, 8);
                }

                public void Write(byte[] buffer, int offset, int count)
                {
                    if (count < 12) throw new ArgumentException("short", nameof(count));
                    Seal(buffer, offset, count);
                }

                private uint ReadWord(byte[] data, int pos)
                {
                    Array.Copy(data, pos, _word, 0, 4);
                    return BitConverter.ToUInt32(_word, 0);
                }

                private void Seal(byte[] buffer, int offset, int count)
                {
                    Buffer.BlockCopy(buffer, offset, _nonce, 0, 12);
                }
            }

            public sealed class OneCallShort
            {
                private readonly byte[] _word = new byte[4];

                public uint Parse(byte[] data)
                {
                    if (data.Length < 12) return 0;
                    return ReadWord(data, 0) + ReadWord(data, 9);
                }

                private uint ReadWord(byte[] data, int pos)
                {
                    {|#0:Array.Copy(data, pos, _word, 0, 4)|};
                    return BitConverter.ToUInt32(_word, 0);
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "4", "elements", "nothing checks that the caller's buffer 'data' holds 'pos + 4'"));

    [Fact]
    public Task Guard_fix_for_a_count_read_from_the_callers_offset_checks_what_is_left()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public sealed class Reader
            {
                private readonly byte[] _nonce = new byte[24];
                private readonly byte[] _tag = new byte[16];

                public void Write(byte[] buffer, int offset, int count)
                {
                    {|KS0001:Buffer.BlockCopy(buffer, offset, _nonce, 0, 12)|};
                }

                public void ReadTag(byte[] data, int pos)
                {
                    {|KS0001:Array.Copy(data, pos, _tag, 0, 16)|};
                }
            }
            """, """
            using System;

            public sealed class Reader
            {
                private readonly byte[] _nonce = new byte[24];
                private readonly byte[] _tag = new byte[16];

                public void Write(byte[] buffer, int offset, int count)
                {
                    if (count < 12)
                    {
                        throw new ArgumentOutOfRangeException(nameof(count), "'buffer' must hold at least 12 bytes from 'offset'.");
                    }

                    Buffer.BlockCopy(buffer, offset, _nonce, 0, 12);
                }

                public void ReadTag(byte[] data, int pos)
                {
                    if (data.Length - pos < 16)
                    {
                        throw new ArgumentOutOfRangeException(nameof(data), "'data' must hold at least 16 elements from 'pos'.");
                    }

                    Array.Copy(data, pos, _tag, 0, 16);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task Clamp_fix_for_a_count_read_from_the_callers_offset_bounds_it_by_what_is_left()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public sealed class Reader
            {
                private readonly byte[] _nonce = new byte[24];
                private readonly byte[] _tag = new byte[16];

                public void Write(byte[] buffer, int offset, int count)
                {
                    {|KS0001:Buffer.BlockCopy(buffer, offset + 4, _nonce, 0, 12)|};
                }

                public void ReadTag(byte[] data, int pos)
                {
                    {|KS0001:Array.Copy(data, pos + 2, _tag, 0, 16)|};
                }
            }
            """, """
            using System;

            public sealed class Reader
            {
                private readonly byte[] _nonce = new byte[24];
                private readonly byte[] _tag = new byte[16];

                public void Write(byte[] buffer, int offset, int count)
                {
                    Buffer.BlockCopy(buffer, offset + 4, _nonce, 0, Math.Min(12, count - 4));
                }

                public void ReadTag(byte[] data, int pos)
                {
                    Array.Copy(data, pos + 2, _tag, 0, Math.Min(16, data.Length - (pos + 2)));
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    // ---------------------------------------------------------------- Array.CopyTo(array, index): the whole source at an index

    // A TGA loader: the pixels were meant to be copied from offset 18 of the image, but CopyTo writes the whole image at
    // index 18 of an array 18 shorter than it, which always throws.
    [Fact]
    public Task Array_copy_to_an_index_its_destination_leaves_no_room_for_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            using System;

            public sealed class TgaData
            {
                private const int TgaHeaderSize = 18;
                private readonly byte[] colorData;

                public TgaData(byte[] image)
                {
                    this.colorData = new byte[image.Length - TgaHeaderSize];
                    {|#0:image.CopyTo(this.colorData, TgaHeaderSize)|};
                }
            }

            public static class Frames
            {
                public static byte[] Shifted(byte[] payload, int offset)
                {
                    var frame = new byte[payload.Length];
                    {|#1:payload.CopyTo(frame, offset)|};
                    return frame;
                }

                public static byte[] Framed(byte[] payload)
                {
                    var frame = new byte[payload.Length];
                    {|#2:payload.CopyTo(frame.AsSpan(2))|};
                    return frame;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.CopyTo", "image.Length", "elements", "'this.colorData' is written from offset 'TgaHeaderSize', so only 'this.colorData.Length - TgaHeaderSize' elements fit"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.CopyTo", "payload.Length", "elements", "'frame' is written from offset 'offset', so only 'frame.Length - offset' elements fit"),
            VerifyCS.Diagnostic("KS0001").WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "CopyTo", "payload.Length", "elements", "'frame' is written from offset '2', so only 'frame.Length - 2' elements fit"));

    // The usual shapes: from index 0 into an array of the source's length, at an index the array was made with room for
    // (a header, the first half of a concatenation), after a guard, into the caller's array (ICollection<T>.CopyTo), the
    // TGA loader written right (Array.Copy from offset 18), and a field that a call may replace before the copy.
    [Fact]
    public Task Array_copy_to_an_index_with_room_or_a_guard_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Collections;

            public sealed class Copies
            {
                private const int HeaderSize = 18;
                private byte[] colorData = Array.Empty<byte>();
                private readonly byte[] items = new byte[8];

                public byte[] Clone(byte[] src)
                {
                    var dst = new byte[src.Length];
                    src.CopyTo(dst, 0);
                    return dst;
                }

                public byte[] WithHeader(byte[] payload, int header)
                {
                    var frame = new byte[header + payload.Length];
                    payload.CopyTo(frame, header);
                    return frame;
                }

                public byte[] Concat(byte[] first, byte[] second)
                {
                    var all = new byte[first.Length + second.Length];
                    first.CopyTo(all, 0);
                    second.CopyTo(all, first.Length);
                    return all;
                }

                public void Into(byte[] src, byte[] dst, int off)
                {
                    if (dst.Length - off < src.Length) throw new ArgumentException("too small", nameof(dst));
                    src.CopyTo(dst, off);
                }

                public byte[] Guarded(byte[] src, int off)
                {
                    var dst = new byte[src.Length];
                    if (off > 0) throw new ArgumentOutOfRangeException(nameof(off));
                    src.CopyTo(dst, off);
                    return dst;
                }

                public void CopyTo(Array array, int index) => items.CopyTo(array, index);

                public void LoadRight(byte[] image)
                {
                    this.colorData = new byte[image.Length - HeaderSize];
                    Array.Copy(image, HeaderSize, this.colorData, 0, this.colorData.Length);
                }

                public void LoadWithHeader(byte[] image)
                {
                    this.colorData = new byte[image.Length + HeaderSize];
                    image.CopyTo(this.colorData, HeaderSize);
                }

                public void LoadAfterACall(byte[] image)
                {
                    this.colorData = new byte[image.Length - HeaderSize];
                    Reset();
                    image.CopyTo(this.colorData, HeaderSize);
                }

                private void Reset() => colorData = new byte[4096];
            }
            """);

    // The whole source has no count to clamp; the guard rejects the caller's index. None is offered where the copy never
    // fits (a guard that always throws fixes nothing).
    [Fact]
    public Task Guard_fix_for_array_copy_to_rejects_the_callers_index()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public static class Frames
            {
                public static byte[] Shifted(byte[] payload, int offset)
                {
                    var frame = new byte[payload.Length];
                    {|KS0001:payload.CopyTo(frame, offset)|};
                    return frame;
                }

                public static int[] Moved(int[] values, int index)
                {
                    var moved = new int[values.Length];
                    {|KS0001:values.CopyTo(moved, index)|};
                    return moved;
                }
            }
            """, """
            using System;

            public static class Frames
            {
                public static byte[] Shifted(byte[] payload, int offset)
                {
                    var frame = new byte[payload.Length];
                    if (payload.Length > frame.Length - offset)
                    {
                        throw new ArgumentOutOfRangeException(nameof(offset), "The copy length must not exceed the size of 'frame'.");
                    }

                    payload.CopyTo(frame, offset);
                    return frame;
                }

                public static int[] Moved(int[] values, int index)
                {
                    var moved = new int[values.Length];
                    if (values.Length > moved.Length - index)
                    {
                        throw new ArgumentOutOfRangeException(nameof(index), "The copy length must not exceed the size of 'moved'.");
                    }

                    values.CopyTo(moved, index);
                    return moved;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    [Fact]
    public Task No_fix_is_offered_for_array_copy_to_that_never_fits()
        => VerifyCS.VerifyCodeFixAsync("""
            public sealed class TgaData
            {
                private readonly byte[] colorData;

                public TgaData(byte[] image)
                {
                    colorData = new byte[image.Length - 18];
                    {|KS0001:image.CopyTo(colorData, 18)|};
                }
            }
            """, """
            public sealed class TgaData
            {
                private readonly byte[] colorData;

                public TgaData(byte[] image)
                {
                    colorData = new byte[image.Length - 18];
                    {|KS0001:image.CopyTo(colorData, 18)|};
                }
            }
            """);

    // ---------------------------------------------------------------- a byte count into n / S elements: the odd byte

    // Seen in a public voice-chat client: an odd number of PCM bytes throws, since the shorts hold one byte fewer.
    [Fact]
    public Task Byte_count_into_shorts_made_from_half_of_it_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public sealed class BrowserVoiceService
            {
                public short[] Decode(byte[] pcmBytes)
                {
                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    {|#0:Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, pcmBytes.Length)|};
                    return pcmShort;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Buffer.BlockCopy", "pcmBytes.Length", "bytes",
                "'pcmShort' holds only 'pcmBytes.Length / 2' shorts, one byte fewer than 'pcmBytes.Length' when that is odd"));

    [Fact]
    public Task Byte_count_into_wider_elements_made_from_its_quotient_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Samples
            {
                public static short[] Shifted(byte[] data)
                {
                    var pcm = new short[data.Length >> 1];
                    {|KS0001:Buffer.BlockCopy(data, 0, pcm, 0, data.Length)|};
                    return pcm;
                }

                public static float[] Floats(byte[] data, int count)
                {
                    var samples = new float[count / 4];
                    {|KS0001:Buffer.BlockCopy(data, 0, samples, 0, count)|};
                    return samples;
                }

                public static int[] Words(byte[] data)
                {
                    int n = data.Length;
                    int words = n >> 2;
                    var result = new int[words];
                    {|KS0001:Buffer.BlockCopy(data, 0, result, 0, n)|};
                    return result;
                }

                public static double[] Doubles(byte[] data)
                {
                    var values = new double[data.Length / sizeof(double)];
                    {|#0:Buffer.BlockCopy(data, 0, values, 0, data.Length)|};
                    return values;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Buffer.BlockCopy", "data.Length", "bytes",
                "'values' holds only 'data.Length / sizeof(double)' doubles, up to 7 bytes fewer than 'data.Length' when that is not a multiple of 8"));

    [Fact]
    public Task Byte_count_out_of_shorts_made_from_half_of_it_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Encoder
            {
                public static byte[] ToBytes(int byteCount)
                {
                    var samples = new short[byteCount / 2];
                    var bytes = new byte[byteCount];
                    {|KS0001:Buffer.BlockCopy(samples, 0, bytes, 0, byteCount)|};
                    return bytes;
                }
            }
            """);

    [Fact]
    public Task Memory_copy_of_a_byte_count_into_half_as_many_shorts_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static unsafe class Native
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    var pcm = new short[pcmBytes.Length / 2];
                    fixed (byte* source = pcmBytes)
                    fixed (short* destination = pcm)
                    {
                        {|KS0001:Buffer.MemoryCopy(source, destination, pcmBytes.Length, pcmBytes.Length)|};
                    }

                    return pcm;
                }
            }
            """);

    [Fact]
    public Task Half_sized_destination_rounded_up_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Samples
            {
                public static short[] RoundedUp(byte[] data)
                {
                    var pcm = new short[(data.Length + 1) / 2];
                    Buffer.BlockCopy(data, 0, pcm, 0, data.Length);
                    return pcm;
                }

                public static short[] RoundedDown(byte[] data)
                {
                    var pcm = new short[data.Length / 2];
                    {|KS0001:Buffer.BlockCopy(data, 0, pcm, 0, data.Length)|};
                    return pcm;
                }
            }
            """);

    [Fact]
    public Task Byte_count_of_whole_elements_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Samples
            {
                public static short[] ByLength(byte[] data)
                {
                    var pcm = new short[data.Length / 2];
                    Buffer.BlockCopy(data, 0, pcm, 0, pcm.Length * 2);
                    Buffer.BlockCopy(data, 0, pcm, 0, pcm.Length * sizeof(short));
                    return pcm;
                }

                public static short[] Masked(byte[] data, int n)
                {
                    var pcm = new short[n / 2];
                    Buffer.BlockCopy(data, 0, pcm, 0, n & ~1);
                    Buffer.BlockCopy(data, 0, pcm, 0, n / 2 * 2);
                    Buffer.BlockCopy(data, 0, pcm, 0, n - 1);
                    return pcm;
                }

                public static short[] Evened(byte[] data)
                {
                    int n = data.Length;
                    var pcm = new short[n / 2];
                    n &= ~1;
                    Buffer.BlockCopy(data, 0, pcm, 0, n);
                    return pcm;
                }

                public static short[] Whole(byte[] data, int n)
                {
                    var pcm = new short[n / 2];
                    {|KS0001:Buffer.BlockCopy(data, 0, pcm, 0, n)|};
                    return pcm;
                }
            }
            """);

    [Fact]
    public Task Odd_length_rejected_before_the_copy_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Samples
            {
                public static short[] Thrown(byte[] pcmBytes)
                {
                    if (pcmBytes.Length % 2 != 0)
                    {
                        throw new ArgumentException("PCM data must hold whole samples.", nameof(pcmBytes));
                    }

                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, pcmBytes.Length);
                    return pcmShort;
                }

                public static short[] Masked(byte[] data, int n)
                {
                    if (n <= 0 || (n & 1) != 0) return Array.Empty<short>();
                    var pcm = new short[n / 2];
                    Buffer.BlockCopy(data, 0, pcm, 0, n);
                    return pcm;
                }

                public static short[] One(byte[] data)
                {
                    var pcm = new short[data.Length >> 1];
                    if (data.Length % 2 == 1)
                    {
                        return Array.Empty<short>();
                    }

                    Buffer.BlockCopy(data, 0, pcm, 0, data.Length);
                    return pcm;
                }

                public static int[] Inside(byte[] data)
                {
                    var words = new int[data.Length / 4];
                    if (data.Length % 4 == 0)
                    {
                        Buffer.BlockCopy(data, 0, words, 0, data.Length);
                    }

                    return words;
                }

                public static short[] Else(byte[] data, int n)
                {
                    var pcm = new short[n / 2];
                    if ((n & 1) == 1)
                    {
                        Console.WriteLine("odd length");
                    }
                    else
                    {
                        Buffer.BlockCopy(data, 0, pcm, 0, n);
                    }

                    return pcm;
                }

                public static short[] Bounded(byte[] data)
                {
                    var pcm = new short[data.Length / 2];
                    if (data.Length > pcm.Length * 2) return pcm;
                    Buffer.BlockCopy(data, 0, pcm, 0, data.Length);
                    return pcm;
                }

                public static short[] OnOnePath(byte[] data, bool strict)
                {
                    if (strict && data.Length % 2 != 0) return Array.Empty<short>();
                    var pcm = new short[data.Length / 2];
                    {|KS0001:Buffer.BlockCopy(data, 0, pcm, 0, data.Length)|};
                    return pcm;
                }
            }
            """);

    [Fact]
    public Task Byte_sized_destination_made_from_half_of_the_count_is_not_flagged_as_an_odd_byte()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Halves
            {
                public static byte[] FirstHalf(byte[] data)
                {
                    var half = new byte[data.Length / 2];
                    Buffer.BlockCopy(data, 0, half, 0, data.Length / 2);
                    return half;
                }

                public static bool[] Flags(bool[] flags, int n)
                {
                    var copy = new bool[n / 1];
                    Buffer.BlockCopy(flags, 0, copy, 0, n);
                    return copy;
                }

                public static short[] Samples(byte[] data)
                {
                    var pcm = new short[data.Length / 2];
                    {|KS0001:Buffer.BlockCopy(data, 0, pcm, 0, data.Length)|};
                    return pcm;
                }
            }
            """);

    [Fact]
    public Task Element_counting_copies_into_half_sized_shorts_are_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Halves
            {
                public static short[] Elements(short[] source, int n)
                {
                    var half = new short[n / 2];
                    Array.Copy(source, half, n / 2);
                    Array.Copy(source, 0, half, 0, half.Length);
                    source.AsSpan(0, n / 2).CopyTo(half);
                    return half;
                }

                public static short[] Bytes(byte[] data, int n)
                {
                    var half = new short[n / 2];
                    {|KS0001:Buffer.BlockCopy(data, 0, half, 0, n)|};
                    return half;
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_copies_the_whole_elements_of_an_odd_byte_count()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public static class Samples
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    {|KS0001:Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, pcmBytes.Length)|};
                    return pcmShort;
                }

                public static byte[] Encode(int byteCount)
                {
                    var samples = new int[byteCount / 4];
                    var bytes = new byte[byteCount];
                    {|KS0001:Buffer.BlockCopy(samples, 0, bytes, 0, byteCount)|};
                    return bytes;
                }
            }
            """, """
            using System;

            public static class Samples
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, Math.Min(pcmBytes.Length, pcmShort.Length * sizeof(short)));
                    return pcmShort;
                }

                public static byte[] Encode(int byteCount)
                {
                    var samples = new int[byteCount / 4];
                    var bytes = new byte[byteCount];
                    Buffer.BlockCopy(samples, 0, bytes, 0, Math.Min(byteCount, samples.Length * sizeof(int)));
                    return bytes;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    // Rejecting "oversized" input would reject any odd length, throwing where the copy already throws: not offered.
    [Fact]
    public Task Guard_fix_is_not_offered_for_an_odd_byte_count()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public static class Samples
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    {|KS0001:Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, pcmBytes.Length)|};
                    return pcmShort;
                }
            }
            """, """
            using System;

            public static class Samples
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    short[] pcmShort = new short[pcmBytes.Length / 2];
                    {|KS0001:Buffer.BlockCopy(pcmBytes, 0, pcmShort, 0, pcmBytes.Length)|};
                    return pcmShort;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    // A pointer has no length to clamp by: no fix.
    [Fact]
    public Task No_fix_is_offered_for_a_memory_copy_of_an_odd_byte_count()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            public static unsafe class Native
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    var pcm = new short[pcmBytes.Length / 2];
                    fixed (byte* source = pcmBytes)
                    fixed (short* destination = pcm)
                    {
                        {|KS0001:Buffer.MemoryCopy(source, destination, pcm.Length * 2, pcmBytes.Length)|};
                    }

                    return pcm;
                }
            }
            """, """
            using System;

            public static unsafe class Native
            {
                public static short[] Decode(byte[] pcmBytes)
                {
                    var pcm = new short[pcmBytes.Length / 2];
                    fixed (byte* source = pcmBytes)
                    fixed (short* destination = pcm)
                    {
                        {|KS0001:Buffer.MemoryCopy(source, destination, pcm.Length * 2, pcmBytes.Length)|};
                    }

                    return pcm;
                }
            }
            """);

    // ---------------------------------------------------------------- a length field of a header read from the buffer itself

    // Seen in a public Unity UDP server: the header is laid over the received bytes and its length trusted.
    [Fact]
    public Task Length_field_of_a_header_laid_over_a_fixed_receive_buffer_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public struct Head
            {
                public const int Length = 8;
                public uint act;
                public uint length;
            }

            public sealed class Packet
            {
                public Head Head;
                public byte[] Data = Array.Empty<byte>();
            }

            public static class Server
            {
                private static byte[] recvBuffer = new byte[256];

                public static unsafe Packet Receive()
                {
                    var packet = new Packet();
                    fixed (byte* dest = recvBuffer)
                    {
                        packet.Head = *(Head*)dest;
                    }

                    packet.Data = new byte[(int)packet.Head.length];
                    {|#0:Array.Copy(recvBuffer, Head.Length, packet.Data, 0, packet.Head.length)|};
                    return packet;
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations).WithArguments(
                "Array.Copy", "packet.Head.length", "elements",
                "'packet.Head.length' is read from 'recvBuffer' itself and never compared with its size (256 elements)"));

    [Fact]
    public Task Length_field_filled_from_a_fixed_buffer_by_a_parser_is_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            public struct Header
            {
                public int Kind;
                public int Size;
            }

            public sealed class Frame
            {
                public int Length;
            }

            public sealed class Reader
            {
                private readonly byte[] _frame = new byte[512];

                public byte[] Parsed(Stream stream)
                {
                    stream.Read(_frame, 0, _frame.Length);
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    var payload = new byte[header.Size];
                    {|KS0001:Buffer.BlockCopy(_frame, 8, payload, 0, header.Size)|};
                    return payload;
                }

                public byte[] Assigned(Stream stream)
                {
                    stream.Read(_frame, 0, _frame.Length);
                    var frame = new Frame();
                    frame.Length = BitConverter.ToInt32(_frame, 0);
                    var payload = new byte[frame.Length];
                    {|KS0001:Array.Copy(_frame, 4, payload, 0, frame.Length)|};
                    return payload;
                }

                public byte[] Out(Stream stream)
                {
                    stream.Read(_frame, 0, _frame.Length);
                    TryRead(_frame, out var header);
                    var payload = new byte[header.Size];
                    {|KS0001:Buffer.BlockCopy(_frame, 8, payload, 0, header.Size)|};
                    return payload;
                }

                private static bool TryRead(byte[] data, out Header header)
                {
                    header = MemoryMarshal.Read<Header>(data);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Length_field_compared_before_the_copy_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            public struct Header
            {
                public int Kind;
                public int Size;
            }

            public sealed class Reader
            {
                private readonly byte[] _frame = new byte[512];

                public byte[] Guarded()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    if (header.Size < 0 || header.Size > _frame.Length - 8)
                    {
                        throw new InvalidOperationException("Bad frame.");
                    }

                    var payload = new byte[header.Size];
                    Buffer.BlockCopy(_frame, 8, payload, 0, header.Size);
                    return payload;
                }

                public byte[] Pattern()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    if (header.Size is < 0 or > 504)
                    {
                        return Array.Empty<byte>();
                    }

                    var payload = new byte[header.Size];
                    Buffer.BlockCopy(_frame, 8, payload, 0, header.Size);
                    return payload;
                }

                public byte[] Thrown()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(header.Size, 504);
                    var payload = new byte[header.Size];
                    Buffer.BlockCopy(_frame, 8, payload, 0, header.Size);
                    return payload;
                }

                // Checked through a local copy of the field.
                public byte[] CheckedCopy()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    int size = header.Size;
                    if (size > _frame.Length - 8)
                    {
                        return Array.Empty<byte>();
                    }

                    var payload = new byte[header.Size];
                    Buffer.BlockCopy(_frame, 8, payload, 0, header.Size);
                    return payload;
                }

                public byte[] CheckedAssigned()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    int size;
                    size = header.Size;
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 504);
                    var payload = new byte[header.Size];
                    Buffer.BlockCopy(_frame, 8, payload, 0, header.Size);
                    return payload;
                }

                public byte[] Unchecked()
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    var payload = new byte[header.Size];
                    {|KS0001:Buffer.BlockCopy(_frame, 8, payload, 0, header.Size)|};
                    return payload;
                }

                // A local copy that is only printed, or a compared local that holds something else, checks nothing.
                public byte[] CopyNotCompared(int limit)
                {
                    Header header = MemoryMarshal.Read<Header>(_frame);
                    int size = header.Size;
                    Console.WriteLine(size);
                    int kind = header.Kind;
                    if (kind > limit) return Array.Empty<byte>();
                    var payload = new byte[header.Size];
                    {|KS0001:Buffer.BlockCopy(_frame, 8, payload, 0, header.Size)|};
                    return payload;
                }
            }
            """);

    [Fact]
    public Task Length_field_not_filled_from_the_source_is_not_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            public struct Header
            {
                public int Kind;
                public int Size;
            }

            public sealed class Packet
            {
                public Header Head;
                public byte[] Data = Array.Empty<byte>();
            }

            public sealed class Reader
            {
                private readonly byte[] _frame = new byte[512];
                private readonly byte[] _other = new byte[512];

                public void Given(Packet packet)
                {
                    Array.Copy(_frame, 8, packet.Data, 0, packet.Head.Size);
                }

                public Packet FromAnother()
                {
                    var packet = new Packet();
                    packet.Head = MemoryMarshal.Read<Header>(_other);
                    packet.Data = new byte[packet.Head.Size];
                    Array.Copy(_frame, 8, packet.Data, 0, packet.Head.Size);
                    return packet;
                }

                public Packet FromItself()
                {
                    var packet = new Packet();
                    packet.Head = MemoryMarshal.Read<Header>(_frame);
                    packet.Data = new byte[packet.Head.Size];
                    {|KS0001:Array.Copy(_frame, 8, packet.Data, 0, packet.Head.Size)|};
                    return packet;
                }
            }
            """);

    [Fact]
    public Task Own_count_of_a_collection_or_struct_is_not_flagged_as_a_length_from_data()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;
            using System.Runtime.InteropServices;

            public sealed class SmallList
            {
                private const int Capacity = 16;
                private readonly int[] _items = new int[Capacity];
                private int _size;

                public int Count => _size;

                public void Add(int item)
                {
                    if (_size == Capacity) throw new InvalidOperationException("Full.");
                    _items[_size++] = item;
                }

                public void CopyTo(int[] array, int arrayIndex) => Array.Copy(_items, 0, array, arrayIndex, _size);

                public int[] ToArray()
                {
                    var result = new int[Count];
                    Array.Copy(_items, result, Count);
                    return result;
                }
            }

            public unsafe struct Frame
            {
                public fixed byte Data[64];
                public int Length;

                public void CopyTo(byte[] destination)
                {
                    fixed (byte* data = Data)
                    {
                        Marshal.Copy((IntPtr)data, destination, 0, Length);
                    }
                }
            }

            public struct Header
            {
                public int Size;
            }

            public static class Wire
            {
                private static readonly byte[] Scratch = new byte[64];

                public static byte[] Payload()
                {
                    var header = MemoryMarshal.Read<Header>(Scratch);
                    var payload = new byte[header.Size];
                    {|KS0001:Array.Copy(Scratch, 4, payload, 0, header.Size)|};
                    return payload;
                }
            }
            """);

    [Fact]
    public Task Clamp_fix_bounds_a_length_field_by_what_the_buffer_holds_past_the_header()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            public struct Head
            {
                public const int Length = 8;
                public uint act;
                public uint length;
            }

            public sealed class Packet
            {
                public Head Head;
                public byte[] Data = Array.Empty<byte>();
            }

            public static class Server
            {
                private static byte[] recvBuffer = new byte[256];
                private static readonly byte[] sendBuffer = new byte[256];

                public static Packet Receive()
                {
                    var packet = new Packet();
                    packet.Head = MemoryMarshal.Read<Head>(recvBuffer);
                    packet.Data = new byte[(int)packet.Head.length];
                    {|KS0001:Array.Copy(recvBuffer, Head.Length, packet.Data, 0, packet.Head.length)|};
                    return packet;
                }

                public static byte[] Echo()
                {
                    Head head = MemoryMarshal.Read<Head>(sendBuffer);
                    var data = new byte[(int)head.length];
                    {|KS0001:Buffer.BlockCopy(sendBuffer, Head.Length, data, 0, (int)head.length)|};
                    return data;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            public struct Head
            {
                public const int Length = 8;
                public uint act;
                public uint length;
            }

            public sealed class Packet
            {
                public Head Head;
                public byte[] Data = Array.Empty<byte>();
            }

            public static class Server
            {
                private static byte[] recvBuffer = new byte[256];
                private static readonly byte[] sendBuffer = new byte[256];

                public static Packet Receive()
                {
                    var packet = new Packet();
                    packet.Head = MemoryMarshal.Read<Head>(recvBuffer);
                    packet.Data = new byte[(int)packet.Head.length];
                    Array.Copy(recvBuffer, Head.Length, packet.Data, 0, Math.Min(packet.Head.length, recvBuffer.Length - Head.Length));
                    return packet;
                }

                public static byte[] Echo()
                {
                    Head head = MemoryMarshal.Read<Head>(sendBuffer);
                    var data = new byte[(int)head.length];
                    Buffer.BlockCopy(sendBuffer, Head.Length, data, 0, Math.Min((int)head.length, sendBuffer.Length - Head.Length));
                    return data;
                }
            }
            """, UncheckedCopyLengthFix.ClampKey);

    // A guard on another object's field is not one the guard analysis could read back: only the clamp is offered.
    [Fact]
    public Task Guard_fix_is_not_offered_for_a_length_field_read_from_the_buffer()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            public struct Header
            {
                public int Size;
            }

            public static class Wire
            {
                private static readonly byte[] Scratch = new byte[64];

                public static byte[] Payload()
                {
                    var header = MemoryMarshal.Read<Header>(Scratch);
                    var payload = new byte[header.Size];
                    {|KS0001:Array.Copy(Scratch, 4, payload, 0, header.Size)|};
                    return payload;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            public struct Header
            {
                public int Size;
            }

            public static class Wire
            {
                private static readonly byte[] Scratch = new byte[64];

                public static byte[] Payload()
                {
                    var header = MemoryMarshal.Read<Header>(Scratch);
                    var payload = new byte[header.Size];
                    {|KS0001:Array.Copy(Scratch, 4, payload, 0, header.Size)|};
                    return payload;
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);

    // ---------------------------------------------------------------- a guard against a property of the type (ServerCore's RecvBuffer/SendBuffer shape)

    [Fact]
    public Task Guard_against_an_expression_bodied_free_size_property_bounds_the_copy_at_the_cursor()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class RecvBuffer
            {
                const int Size = 4096;
                private readonly byte[] _buffer = new byte[Size];
                private int _writePos;

                public int FreeSize => _buffer.Length - _writePos;

                public bool Write(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > FreeSize) return false;
                    Buffer.BlockCopy(data, 0, _buffer, _writePos, count);
                    _writePos += count;
                    return true;
                }

                public bool WriteInline(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > _buffer.Length - _writePos) return false;
                    Buffer.BlockCopy(data, 0, _buffer, _writePos, count);
                    _writePos += count;
                    return true;
                }
            }
            """);

    [Fact]
    public Task Guard_against_a_free_size_property_with_a_getter_body_or_read_on_this_bounds_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class SendBuffer
            {
                private readonly byte[] _buffer = new byte[65535];
                private int _usedSize;

                public int FreeSize
                {
                    get { return _buffer.Length - _usedSize; }
                }

                public int Room { get => _buffer.Length - _usedSize; }

                public bool Append(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > FreeSize) return false;
                    Buffer.BlockCopy(data, 0, _buffer, _usedSize, count);
                    _usedSize += count;
                    return true;
                }

                public void AppendThis(ReadOnlySpan<byte> data)
                {
                    if (data.Length > this.FreeSize)
                    {
                        throw new ArgumentOutOfRangeException(nameof(data));
                    }

                    data.CopyTo(_buffer.AsSpan(_usedSize));
                    _usedSize += data.Length;
                }

                public void AppendRoom(byte[] data, int count)
                {
                    if ((uint)count > (uint)data.Length) return;
                    if (this.Room >= count)
                    {
                        Array.Copy(data, 0, _buffer, _usedSize, count);
                        _usedSize += count;
                    }
                }
            }
            """);

    [Fact]
    public Task Count_clamped_by_a_free_size_property_is_bounded()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class SendBuffer
            {
                private readonly byte[] _buffer = new byte[4096];
                private int _usedSize;

                public int FreeSize => _buffer.Length - _usedSize;

                public virtual int Slack => _buffer.Length - _usedSize;

                public int Append(byte[] data, int count)
                {
                    if ((uint)count > (uint)data.Length) return 0;
                    Buffer.BlockCopy(data, 0, _buffer, _usedSize, Math.Min(count, FreeSize));
                    Buffer.BlockCopy(data, 0, _buffer, _usedSize, count < FreeSize ? count : FreeSize);
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _usedSize, Math.Min(count, Slack))|};
                    return count;
                }
            }
            """);

    [Fact]
    public Task Guard_against_a_static_free_size_property_bounds_the_copy_into_the_static_buffer()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Journal
            {
                private const int Capacity = 1024;
                private static readonly byte[] s_buffer = new byte[Capacity];
                private static int s_length;

                private static int Free => Capacity - s_length;

                public static bool Add(byte[] entry, int count)
                {
                    if (count < 0 || count > entry.Length || count > Journal.Free) return false;
                    Buffer.BlockCopy(entry, 0, s_buffer, s_length, count);
                    s_length += count;
                    return true;
                }
            }
            """);

    [Fact]
    public Task Guard_against_a_property_that_may_not_be_the_real_room_is_still_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class RecvBuffer
            {
                private readonly byte[] _buffer = new byte[4096];
                private int _writePos;

                public virtual int FreeSize => _buffer.Length - _writePos;

                public int Capacity => _buffer.Length;

                public int FreeThroughProperty => Capacity - _writePos;

                public int FreeThroughCall => _buffer.Length - Used();

                public int WholeBuffer => _buffer.Length;

                public int AutoFree { get; set; }

                public byte[] Memory { get; } = new byte[4096];

                public int MemoryFree => Memory.Length - _writePos;

                private int Used() => _writePos;

                public bool WriteVirtual(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > FreeSize) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }

                public bool WriteThroughProperty(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > FreeThroughProperty) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }

                public bool WriteThroughCall(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > FreeThroughCall) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }

                public bool WriteAgainstWholeBuffer(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > WholeBuffer) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }

                public bool WriteAgainstAutoProperty(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > AutoFree) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }

                public bool WriteThroughArrayProperty(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > MemoryFree) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, Memory, _writePos, count)|};
                    return true;
                }

                public bool WriteThroughArrayPropertyInline(byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > Memory.Length - _writePos) return false;
                    Buffer.BlockCopy(data, 0, Memory, _writePos, count);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Guard_against_another_instances_free_size_is_still_flagged()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            sealed class RecvBuffer
            {
                private readonly byte[] _buffer = new byte[4096];
                private int _writePos;

                public int FreeSize => _buffer.Length - _writePos;

                public bool Write(RecvBuffer other, byte[] data, int count)
                {
                    if (count < 0 || count > data.Length || count > other.FreeSize) return false;
                    {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                    return true;
                }
            }
            """);

    [Fact]
    public Task Guard_against_a_free_size_property_declared_in_another_part_of_a_partial_type_is_not_read()
        => new VerifyCS.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System;

                    public sealed partial class RecvBuffer
                    {
                        public bool Write(byte[] data, int count)
                        {
                            if (count < 0 || count > data.Length || count > FreeSize) return false;
                            {|KS0001:Buffer.BlockCopy(data, 0, _buffer, _writePos, count)|};
                            _writePos += count;
                            return true;
                        }

                        public bool WriteHere(byte[] data, int count)
                        {
                            if (count < 0 || count > data.Length || count > FreeHere) return false;
                            Buffer.BlockCopy(data, 0, _buffer, _writePos, count);
                            _writePos += count;
                            return true;
                        }

                        private int FreeHere => _buffer.Length - _writePos;
                    }
                    """,
                    """
                    public sealed partial class RecvBuffer
                    {
                        private readonly byte[] _buffer = new byte[4096];
                        private int _writePos;

                        public int FreeSize => _buffer.Length - _writePos;
                    }
                    """,
                },
            },
        }.RunAsync();

    // ---------------------------------------------------------------- guards written the way libraries write them (sixth pass)

    [Fact]
    public Task Switch_on_the_length_bounds_the_copy_in_its_sections()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Reads
            {
                public static Guid One(ReadOnlySpan<byte> src)
                {
                    Span<byte> tmp = stackalloc byte[16];
                    switch (src.Length)
                    {
                        case 16:
                            src.CopyTo(tmp);
                            break;
                        default:
                            throw new ArgumentException("need 16 bytes", nameof(src));
                    }

                    return new Guid(tmp);
                }

                public static int Several(ReadOnlySpan<byte> src)
                {
                    Span<byte> tmp = stackalloc byte[16];
                    switch (src.Length)
                    {
                        case 4:
                        case 8:
                        case 16:
                            src.CopyTo(tmp);
                            return src.Length;
                        case > 0 when src.Length <= 16:
                            src.CopyTo(tmp);
                            return 1;
                        default:
                            return 0;
                    }
                }

                public static int TooLong(ReadOnlySpan<byte> src)
                {
                    Span<byte> tmp = stackalloc byte[16];
                    switch (src.Length)
                    {
                        case 8:
                        case 32:
                            {|KS0001:src.CopyTo(tmp)|};
                            return 0;
                        case >= 4:
                            {|KS0001:src.CopyTo(tmp)|};
                            return 1;
                    }

                    return -1;
                }

                // Another section jumps in with another length.
                public static int Jumped(ReadOnlySpan<byte> src)
                {
                    Span<byte> tmp = stackalloc byte[16];
                    switch (src.Length)
                    {
                        case 16:
                            {|KS0001:src.CopyTo(tmp)|};
                            return 16;
                        case 0:
                            return 0;
                        default:
                            goto case 16;
                    }
                }

                // The section's label is on something else.
                public static int OtherValue(ReadOnlySpan<byte> src, int kind)
                {
                    Span<byte> tmp = stackalloc byte[16];
                    switch (kind)
                    {
                        case 16:
                            {|KS0001:src.CopyTo(tmp)|};
                            return 16;
                    }

                    return 0;
                }
            }
            """);

    [Fact]
    public Task Property_pattern_on_the_length_bounds_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Fills
            {
                public static int Inside(ReadOnlySpan<byte> src)
                {
                    Span<byte> block = stackalloc byte[16];
                    if (src is { Length: <= 16 })
                    {
                        src.CopyTo(block);
                        return src.Length;
                    }

                    return -1;
                }

                public static int Rejected(byte[] src)
                {
                    var block = new byte[16];
                    if (src is { Length: > 16 })
                    {
                        throw new ArgumentException("too long", nameof(src));
                    }

                    Array.Copy(src, block, src.Length);
                    return src.Length;
                }

                public static int Range(ReadOnlySpan<byte> src)
                {
                    Span<byte> block = stackalloc byte[16];
                    if (src is { Length: >= 1 and <= 16 })
                    {
                        src.CopyTo(block);
                    }

                    return block[0];
                }

                public static int TooLong(ReadOnlySpan<byte> src)
                {
                    Span<byte> block = stackalloc byte[16];
                    if (src is { Length: <= 32 })
                    {
                        {|KS0001:src.CopyTo(block)|};
                    }

                    return block[0];
                }

                // A type test in the pattern: failing it says nothing about the length.
                public static int Typed(Array src)
                {
                    var block = new byte[16];
                    if (src is byte[] { Length: > 16 })
                    {
                        return -1;
                    }

                    {|KS0001:Array.Copy(src, block, src.Length)|};
                    return 0;
                }

                // Two members: failing the pattern may be the other one.
                public static int TwoMembers(byte[] src)
                {
                    var block = new byte[16];
                    if (src is { Length: > 16, Rank: 1 })
                    {
                        return -1;
                    }

                    {|KS0001:Array.Copy(src, block, src.Length)|};
                    return 0;
                }
            }
            """);

    [Fact]
    public Task Throw_expression_bounds_the_copy_after_it()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Fills
            {
                public static int OnFalse(ReadOnlySpan<byte> src)
                {
                    Span<byte> block = stackalloc byte[16];
                    int n = src.Length <= block.Length ? src.Length : throw new ArgumentException("too long", nameof(src));
                    src.CopyTo(block);
                    return n;
                }

                public static int OnTrue(byte[] src, int count)
                {
                    var block = new byte[16];
                    int n;
                    n = count > block.Length || count > src.Length ? throw new ArgumentOutOfRangeException(nameof(count)) : count;
                    Buffer.BlockCopy(src, 0, block, 0, count);
                    return n;
                }

                // The conditional picks a value; nothing throws.
                public static int NoThrow(ReadOnlySpan<byte> src)
                {
                    Span<byte> block = stackalloc byte[16];
                    int n = src.Length <= block.Length ? src.Length : -1;
                    {|KS0001:src.CopyTo(block)|};
                    return n;
                }
            }
            """);

    [Fact]
    public Task Remainder_and_mask_bound_the_tail_of_a_block_hash()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            public static class Tails
            {
                public static int Remainder(ReadOnlySpan<byte> data)
                {
                    Span<byte> block = stackalloc byte[64];
                    int rem = data.Length % 64;
                    data.Slice(data.Length - rem).CopyTo(block);
                    return rem;
                }

                public static int Mask(byte[] data)
                {
                    var block = new byte[64];
                    int tail;
                    tail = data.Length & 63;
                    Buffer.BlockCopy(data, data.Length - tail, block, 0, tail);
                    return tail;
                }

                public static int TooWide(ReadOnlySpan<byte> data)
                {
                    Span<byte> block = stackalloc byte[64];
                    int rem = data.Length % 66;
                    {|KS0001:data.Slice(data.Length - rem).CopyTo(block)|};
                    return rem;
                }

                public static int WideMask(byte[] data)
                {
                    var block = new byte[64];
                    int tail = data.Length & 127;
                    {|KS0001:Buffer.BlockCopy(data, data.Length - tail, block, 0, tail)|};
                    return tail;
                }

                // Reassigned after the remainder: the bound is gone.
                public static int Reassigned(ReadOnlySpan<byte> data, int extra)
                {
                    Span<byte> block = stackalloc byte[64];
                    int rem = data.Length % 64;
                    rem += extra;
                    {|KS0001:data.Slice(data.Length - rem).CopyTo(block)|};
                    return rem;
                }
            }
            """);

    [Fact]
    public Task Validation_helper_that_throws_bounds_the_copy_after_its_call()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            static class Name
            {
                const int MaxLen = 15;

                static void Validate(ReadOnlySpan<byte> s)
                {
                    if (s.IsEmpty) throw new ArgumentException("empty");
                    if (s.Length > MaxLen) throw new ArgumentException("too long");
                }

                static void Check(int count, int max)
                {
                    if (count < 0 || count > max) ThrowRange();
                }

                static void ThrowRange() => throw new ArgumentOutOfRangeException("count");

                public static void Fill(ReadOnlySpan<byte> name)
                {
                    Span<byte> ifr = stackalloc byte[16];
                    Validate(name);
                    name.CopyTo(ifr);
                }

                public static void Counted(byte[] src, int count)
                {
                    var dst = new byte[16];
                    Check(count, dst.Length);
                    Check(count, src.Length);
                    Buffer.BlockCopy(src, 0, dst, 0, count);
                }

                // Returns instead of throwing: the caller goes on with any length.
                static void Soft(ReadOnlySpan<byte> s)
                {
                    if (s.Length > MaxLen) return;
                }

                // Checks a looser bound.
                static void Loose(ReadOnlySpan<byte> s)
                {
                    if (s.Length > 31) throw new ArgumentException("too long");
                }

                public static void FillSoft(ReadOnlySpan<byte> name)
                {
                    Span<byte> ifr = stackalloc byte[16];
                    Soft(name);
                    {|KS0001:name.CopyTo(ifr)|};
                }

                public static void FillLoose(ReadOnlySpan<byte> name)
                {
                    Span<byte> ifr = stackalloc byte[16];
                    Loose(name);
                    {|KS0001:name.CopyTo(ifr)|};
                }

                // Checks another argument.
                public static void Other(ReadOnlySpan<byte> name, ReadOnlySpan<byte> tag)
                {
                    Span<byte> ifr = stackalloc byte[16];
                    Validate(tag);
                    {|KS0001:name.CopyTo(ifr)|};
                }
            }

            class Checker
            {
                public virtual void Validate(ReadOnlySpan<byte> s)
                {
                    if (s.Length > 15) throw new ArgumentException("too long");
                }

                // An override may check nothing.
                public void Fill(ReadOnlySpan<byte> name)
                {
                    Span<byte> ifr = stackalloc byte[16];
                    Validate(name);
                    {|KS0001:name.CopyTo(ifr)|};
                }
            }
            """);

    [Fact]
    public Task Guard_methods_of_widely_used_libraries_bound_the_copy()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            namespace SixLabors
            {
                internal static class Guard
                {
                    public static void MustBeLessThanOrEqualTo<TValue>(TValue value, TValue max, string parameterName)
                        where TValue : IComparable<TValue>
                    {
                        if (value.CompareTo(max) > 0) throw new ArgumentOutOfRangeException(parameterName);
                    }

                    public static void MustBeSizedAtLeast<T>(ReadOnlySpan<T> source, int minLength, string parameterName)
                    {
                        if (source.Length < minLength) throw new ArgumentException("too short", parameterName);
                    }

                    public static void DestinationShouldNotBeTooShort<TSource, TDest>(ReadOnlySpan<TSource> source, Span<TDest> destination, string destinationParamName)
                    {
                        if (destination.Length < source.Length) throw new ArgumentException("too short", destinationParamName);
                    }

                    public static void NotNull<T>(T value, string parameterName)
                        where T : class
                    {
                        if (value is null) throw new ArgumentNullException(parameterName);
                    }
                }
            }

            namespace CommunityToolkit.Diagnostics
            {
                public static class Guard
                {
                    public static void HasSizeLessThanOrEqualTo<T>(ReadOnlySpan<T> span, int size, string name)
                    {
                        if (span.Length > size) throw new ArgumentException("too long", name);
                    }

                    public static void HasSizeLessThan<T>(ReadOnlySpan<T> span, int size, string name)
                    {
                        if (span.Length >= size) throw new ArgumentException("too long", name);
                    }

                    public static void IsLessThanOrEqualTo<T>(T value, T maximum, string name)
                        where T : notnull, IComparable<T>
                    {
                        if (value.CompareTo(maximum) > 0) throw new ArgumentOutOfRangeException(name);
                    }
                }
            }

            namespace App
            {
                using CommunityToolkit.Diagnostics;

                public static class Codec
                {
                    public static void Sizes(ReadOnlySpan<byte> codeLengths)
                    {
                        Span<byte> sizes = stackalloc byte[17];
                        SixLabors.Guard.MustBeLessThanOrEqualTo(codeLengths.Length, 17, nameof(codeLengths));
                        codeLengths.CopyTo(sizes);
                    }

                    public static void Header(byte[] data)
                    {
                        var header = new byte[8];
                        SixLabors.Guard.MustBeSizedAtLeast<byte>(data, 8, nameof(data));
                        Buffer.BlockCopy(data, 0, header, 0, 8);
                    }

                    public static void Into(ReadOnlySpan<short> source, Span<short> destination)
                    {
                        SixLabors.Guard.DestinationShouldNotBeTooShort(source, destination, nameof(destination));
                        source.CopyTo(destination);
                    }

                    public static void Toolkit(ReadOnlySpan<byte> span, ReadOnlySpan<byte> other, int count, byte[] src)
                    {
                        Span<byte> block = stackalloc byte[16];
                        Guard.HasSizeLessThanOrEqualTo(span, 16, nameof(span));
                        span.CopyTo(block);
                        Guard.HasSizeLessThan(other, 17, nameof(other));
                        other.CopyTo(block);
                        var dst = new byte[32];
                        Guard.IsLessThanOrEqualTo(count, 32, nameof(count));
                        Guard.IsLessThanOrEqualTo(count, src.Length, nameof(count));
                        Buffer.BlockCopy(src, 0, dst, 0, count);
                    }

                    // A guard that checks something else, or a looser bound.
                    public static void Unchecked(byte[] data, ReadOnlySpan<byte> span)
                    {
                        var header = new byte[8];
                        SixLabors.Guard.NotNull(data, nameof(data));
                        {|KS0001:Buffer.BlockCopy(data, 0, header, 0, 8)|};
                        Span<byte> block = stackalloc byte[16];
                        Guard.HasSizeLessThanOrEqualTo(span, 32, nameof(span));
                        {|KS0001:span.CopyTo(block)|};
                    }
                }
            }
            """);

    [Fact]
    public Task Count_compared_against_the_wrong_bound_says_so()
        => VerifyCS.VerifyAnalyzerAsync("""
            using System;

            class Fixed
            {
                readonly byte[] _dst = new byte[16];

                // The room from 'offset' is _dst.Length - offset (Mirror's ArrayBuffer had + offset).
                public void CopyIn(byte[] src, int offset, int count)
                {
                    if (count > (_dst.Length + offset))
                        throw new ArgumentException(nameof(count));
                    {|#0:Buffer.BlockCopy(src, 0, _dst, offset, count)|};
                }

                public void Unchecked(byte[] src, int count)
                {
                    {|#1:Buffer.BlockCopy(src, 0, _dst, 0, count)|};
                }
            }
            """,
            VerifyCS.Diagnostic("KS0001").WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Buffer.BlockCopy", "count", "bytes", "'count' is compared only with bounds that do not keep it within the size of '_dst' (16 bytes)"),
            VerifyCS.Diagnostic("KS0001").WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                .WithArguments("Buffer.BlockCopy", "count", "bytes", "'count' is never compared with the size of '_dst' (16 bytes)"));

    [Fact]
    public Task Count_compared_against_the_wrong_bound_gets_the_guard_fix()
        => VerifyCS.VerifyCodeFixAsync("""
            using System;

            class Fixed
            {
                readonly byte[] _dst = new byte[16];

                public void CopyIn(byte[] src, int offset, int count)
                {
                    if (count > (_dst.Length + offset))
                        throw new ArgumentException(nameof(count));
                    {|KS0001:Buffer.BlockCopy(src, 0, _dst, offset, count)|};
                }
            }
            """, """
            using System;

            class Fixed
            {
                readonly byte[] _dst = new byte[16];

                public void CopyIn(byte[] src, int offset, int count)
                {
                    if (count > (_dst.Length + offset))
                        throw new ArgumentException(nameof(count));
                    if (count > _dst.Length - offset)
                    {
                        throw new ArgumentOutOfRangeException(nameof(count), "The copy length must not exceed the size of '_dst'.");
                    }

                    Buffer.BlockCopy(src, 0, _dst, offset, count);
                }
            }
            """, UncheckedCopyLengthFix.GuardKey);
}
