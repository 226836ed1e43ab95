using KernelSafety.Analyzers.Analysis;

namespace KernelSafety.Analyzers.Tests.Analysis;

/// <summary>
/// The text-level facts the rules use to skip work: each says "evidently only a read" (or "nothing assigns it") only
/// when that is certain, and "don't know" for every write, however it is spelled. A wrong "read" would hide a finding.
/// </summary>
public class TextReadsTests
{
    // ------------------------------------------------------------------ IsEvidentRead: the marked use of 'table'

    [Theory]
    [InlineData("x = «table»[i];")]
    [InlineData("return «table»[i % table.Length];")]
    [InlineData("return table[i % «table».Length];")]
    [InlineData("Use(«table»[0], 1);")]
    [InlineData("Use(1, «table»[0]);")]
    [InlineData("var y = «table»[i] + 1;")]
    [InlineData("if («table»[i] == 3) return;")]
    [InlineData("if («table»[i] != 3) return;")]
    [InlineData("if (a && «table»[0] > 1) return;")]
    [InlineData("var y = c ? «table»[0] : 1;")]
    [InlineData("var y = «table»[i] << 2;")]
    [InlineData("var y = «table»[i] >>> 2;")]
    [InlineData("var y = «table»[i] >= 2;")]
    [InlineData("var y = «table»[i] ?? 0;")]
    [InlineData("var y = «table»[i, j] * 2;")]
    [InlineData("var y = «table»[i++] - 1;")]
    [InlineData("var y = «table» [ i ] ;")]
    [InlineData("var n = «table».Length;")]
    [InlineData("var n = «table».LongLength;")]
    [InlineData("var list = new[] { «table»[0] };")]
    [InlineData("Use(F(«table»[0]), x);")]
    public void Reads_are_evident(string code) => Assert.True(IsEvidentRead(code), code);

    [Theory]
    [InlineData("«table»[i] = 1;")]
    [InlineData("«table»[i]=1;")]
    [InlineData("«table»[i] += 1;")]
    [InlineData("«table»[i] -= 1;")]
    [InlineData("«table»[i] |= 1;")]
    [InlineData("«table»[i] <<= 1;")]
    [InlineData("«table»[i] >>= 1;")]
    [InlineData("«table»[i] >>>= 1;")]
    [InlineData("«table»[i] ??= 1;")]
    [InlineData("«table»[i]++;")]
    [InlineData("«table»[i]--;")]
    [InlineData("++«table»[i];")]
    [InlineData("-- «table»[i];")]
    [InlineData("Interlocked.Increment(ref «table»[0]);")]
    [InlineData("int.TryParse(s, out «table»[0]);")]
    [InlineData("Use(in «table»[0]);")]
    [InlineData("fixed (int* p = &«table»[0]) { }")]
    [InlineData("(«table»[0], x) = (1, 2);")]
    [InlineData("(x, «table»[0]) = pair;")]
    [InlineData("((«table»[0], x), y) = nested;")]
    [InlineData("«table»[0].Field = 1;")]
    [InlineData("«table»[0][1] = 1;")]
    [InlineData("«table»?[0] = 1;")]
    [InlineData("Array.Sort(«table»);")]
    [InlineData("Array.Clear(«table», 0, 4);")]
    [InlineData("«table».AsSpan().Fill(0);")]
    [InlineData("var alias = «table»;")]
    [InlineData("return «table»;")]
    [InlineData("var n = nameof(«table»);")]
    [InlineData("var y = «table»[s.IndexOf(\"]\")];")]
    [InlineData("var y = «table»[i] /* = 3 */;")]
    [InlineData("var y = «table»[i] is 3;")]
    [InlineData("«table»[0] = «table»[1];")]
    public void Writes_and_unclear_uses_are_not(string code) => Assert.False(IsEvidentRead(code), code);

    // ------------------------------------------------------------------ MayAssign: any assignment of 'n' in the body

    [Theory]
    [InlineData("var m = n + 1; F(n); n.ToString(); arr[n] = 1; if (n == 2) return; var f = (int n) => n * 2;")]
    [InlineData("Use(n, n); return n;")]
    [InlineData("var s = new byte[n]; Buffer.BlockCopy(a, 0, s, 0, n);")]
    public void Nothing_assigns(string body) => Assert.False(TextReads.MayAssign(body, 0, body.Length, "n", declaration: -1), body);

    [Theory]
    [InlineData("n = 3;")]
    [InlineData("n=3;")]
    [InlineData("n += 1;")]
    [InlineData("n *= 2;")]
    [InlineData("n <<= 1;")]
    [InlineData("n >>>= 1;")]
    [InlineData("n ??= 3;")]
    [InlineData("n++;")]
    [InlineData("--n;")]
    [InlineData("F(ref n);")]
    [InlineData("int.TryParse(s, out n);")]
    [InlineData("F(in n);")]
    [InlineData("int* p = &n;")]
    [InlineData("(n, m) = (1, 2);")]
    [InlineData("(m, n) = t;")]
    [InlineData("Action a = () => n = 5;")]
    [InlineData("\\u006E = 3;")]
    public void Assignments_are_seen(string body) => Assert.True(TextReads.MayAssign(body, 0, body.Length, "n", declaration: -1), body);

    [Fact]
    public void The_declaration_itself_is_not_an_assignment()
    {
        const string body = "var n = 4; Use(n);";
        Assert.False(TextReads.MayAssign(body, 0, body.Length, "n", declaration: body.IndexOf('n', StringComparison.Ordinal)));
    }

    [Fact]
    public void An_empty_name_may_be_assigned() => Assert.True(TextReads.MayAssign("x = 1;", 0, 6, "", declaration: -1));

    private static bool IsEvidentRead(string marked)
    {
        var index = marked.IndexOf('«', StringComparison.Ordinal);
        var text = marked.Replace("«", "", StringComparison.Ordinal).Replace("»", "", StringComparison.Ordinal);
        return TextReads.IsEvidentRead(text, index, "table".Length);
    }
}
