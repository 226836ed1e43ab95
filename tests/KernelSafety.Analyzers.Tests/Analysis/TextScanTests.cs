using KernelSafety.Analyzers.Analysis;

namespace KernelSafety.Analyzers.Tests.Analysis;

/// <summary>
/// The source scan that lets a rule skip a type: it may report a name that is not there (a comment, a look-alike), never
/// miss one that is, and it must count every static buffer the text may write.
/// </summary>
public class TextScanTests
{
    [Theory]
    [InlineData("Buffer.BlockCopy(a, 0, b, 0, n);", "BlockCopy")]
    [InlineData("span.Slice(1).CopyTo(dst);", "CopyTo")]
    [InlineData("socket.Connect(endPoint);", "Connect")]
    [InlineData("await client.ConnectAsync(host, port);", "ConnectAsync")]
    [InlineData("int k = connect(fd, &addr, len);", "connect")]
    [InlineData("var fd = socket(2, 1, 0);", "socket")]
    [InlineData("s.Send(buffer, 0, 80, SocketFlags.None);", "Send")]
    [InlineData("nint n = send(fd, msg, 80, 0);", "send")]
    [InlineData("stream.Write(buffer);", "Write")]
    [InlineData("BinaryPrimitives.WriteUInt16LittleEndian(span, port);", "WriteUInt16LittleEndian")]
    [InlineData("var text = Encoding.ASCII.GetString(buffer);", "GetString")]
    [InlineData("var ep = new IPEndPoint(IPAddress.Loopback, port);", "IPEndPoint")]
    [InlineData("using var c = new TcpClient(host, port);", "TcpClient")]
    [InlineData("var l = TcpListener.Create(port);", "TcpListener")]
    [InlineData("addr.sin_port = 2001;", "sin_port")]
    [InlineData("ep.Port = p;", "Port")]
    [InlineData("[DllImport(\"libc\")] static extern int close(int fd);", "DllImport")]
    [InlineData("memcpy(dst, src, (nuint)n);", "memcpy")]
    [InlineData("x.@Send(b);", "Send")]
    public void Finds_the_names_it_starts_from(string code, string name)
        => Assert.NotEqual(0UL, TextScan.FindNames(code, default) & SourceNames.BitOf(name));

    [Theory]
    [InlineData("sb.AppendLine(x); Sender(x); var endpoint = 1; var written = 2;", "Send")]
    [InlineData("Console.WriteLine(x); rewrite(); Writer w;", "Write")]
    [InlineData("Reconnect(); Connection c; ConnectTimeout = 3;", "Connect")]
    [InlineData("list.CopyToArray(); Copying(); copy();", "Copy")]
    [InlineData("var sort = Sort(x); short s; Report(); Import();", "Port")]
    public void Ignores_longer_identifiers_that_contain_a_name(string code, string name)
        => Assert.Equal(0UL, TextScan.FindNames(code, default) & SourceNames.BitOf(name));

    [Theory]
    [InlineData("class T { static readonly int[] Weights = { 3, 5 }; int M(int i) => Weights[i % Weights.Length]; }")]
    [InlineData("class T { private static readonly byte[] Magic = { 1, 2 }; bool M(byte b) => Magic[0] == b && Magic.Length > 1; }")]
    [InlineData("class T { static int[] Make() => new int[3]; static int[] P { get; } = new int[2]; }")]
    [InlineData("using static System.Math; class T { static int Twice(int x) => x * 2; }")]
    [InlineData("class T { static readonly ReadOnlyMemory<byte> R = new byte[2]; void M() { Use(R); } }")]
    [InlineData("class T { static Func<int[], int> F = a => a[0]; }")]
    public void Static_buffers_the_text_only_reads_are_not_counted(string code)
        => Assert.Equal(0UL, TextScan.FindNames(code, default) & SourceNames.WrittenStaticBuffer.Bits);

    [Theory]
    [InlineData("class T { static byte[] msg = new byte[80]; void W(byte[] b) { Buffer.BlockCopy(b, 0, msg, 0, 80); } }")]
    [InlineData("class T { static readonly int[] Table = { 1 }; void M() { Table[0] = 2; } }")]
    [InlineData("class T { static readonly int[] Table = { 1 }; void M() { (Table[0], x) = (1, 2); } }")]
    [InlineData("class T { static Memory<byte> m = new byte[16]; void M() { m.Span[0] = 1; } }")]
    [InlineData("class T { static byte[] a, b; void M() { Use(a[0]); } }")]
    [InlineData("class T { static byte[] a = new byte[1], b = new byte[2]; }")]
    [InlineData("class T { static (int, int)[] pairs = new (int, int)[2]; }")]
    [InlineData("partial class T { static readonly int[] Weights = { 3, 5 }; int M(int i) => Weights[i]; }")]
    [InlineData("class T { public static volatile int[] Shared = new int[4]; void M() => Array.Fill(Shared, 0); }")]
    [InlineData("class T { static readonly int[] Table = { 1 }; void M() { ref int r = ref Table[0]; } }")]
    public void Static_buffers_the_text_may_write_are_counted(string code)
        => Assert.NotEqual(0UL, TextScan.FindNames(code, default) & SourceNames.WrittenStaticBuffer.Bits);

    [Fact]
    public void Every_name_contains_its_anchor()
    {
        foreach (var anchor in SourceNames.Anchors)
        {
            foreach (var name in anchor.Names)
            {
                Assert.Contains(anchor.Text, name, StringComparison.Ordinal);
                Assert.NotEqual(0UL, TextScan.FindNames($"x.{name}(y);", default) & SourceNames.BitOf(name));
            }
        }
    }
}
