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

    /// <summary>
    /// A method called on a variable of a value type may take it by reference (an extension method declared
    /// <c>ref this</c>): a possible assignment when the caller says the variable is a value. Member reads are not, and
    /// for a reference a call never is.
    /// </summary>
    [Theory]
    [InlineData("n.Advance(1);", true, true)]
    [InlineData("if (n . TryRead<int>(out var v)) return;", true, true)]
    [InlineData("var k = n.Length + n.Remaining;", true, false)]
    [InlineData("var k = n.Length; n.Field = 2;", true, false)]
    [InlineData("n.Advance(1);", false, false)]
    [InlineData("var t = n.ToString();", false, false)]
    public void A_call_on_a_value_may_assign_it(string body, bool isValue, bool assigns)
        => Assert.Equal(assigns, TextReads.MayAssign(body, 0, body.Length, "n", declaration: -1, callsMayAssign: isValue));

    [Fact]
    public void The_declaration_itself_is_not_an_assignment()
    {
        const string body = "var n = 4; Use(n);";
        Assert.False(TextReads.MayAssign(body, 0, body.Length, "n", declaration: body.IndexOf('n', StringComparison.Ordinal)));
    }

    [Fact]
    public void An_empty_name_may_be_assigned() => Assert.True(TextReads.MayAssign("x = 1;", 0, 6, "", declaration: -1));

    // A long method's or a large type's text is indexed once (IdentifierPositions) instead of searched per name: the
    // answers must not change. Each body above is put at the start, in the middle and at the end of a span long enough.

    [Theory]
    [InlineData("var m = n + 1; F(n); n.ToString(); arr[n] = 1; if (n == 2) return; var f = (int n) => n * 2;", false)]
    [InlineData("Use(n, n); return n;", false)]
    [InlineData("n = 3;", true)]
    [InlineData("n += 1;", true)]
    [InlineData("--n;", true)]
    [InlineData("F(ref n);", true)]
    [InlineData("(m, n) = t;", true)]
    [InlineData("Action a = () => n = 5;", true)]
    [InlineData("\\u006E = 3;", true)]
    public void Long_spans_give_the_same_answers(string body, bool assigns)
    {
        foreach (var (text, start, end) in Padded(body))
        {
            Assert.True(end - start >= IdentifierPositions.MinimumLength);
            Assert.Equal(assigns, TextReads.MayAssign(text, start, end, "n", declaration: -1));
        }
    }

    [Fact]
    public void Long_spans_skip_the_declaration_and_what_lies_outside_them()
    {
        var filler = Filler(IdentifierPositions.MinimumLength);
        var text = "n = 1; " + filler + "var n = 4; Use(n); n2 = 3; nn = 1; " + filler + " n = 2;";
        var declaration = text.IndexOf("var n", StringComparison.Ordinal) + 4;
        var start = "n = 1; ".Length;
        var end = text.Length - " n = 2;".Length;
        Assert.False(TextReads.MayAssign(text, start, end, "n", declaration));
        Assert.True(TextReads.MayAssign(text, start, end, "n", declaration: -1));
        Assert.True(TextReads.MayAssign(text, 0, end, "n", declaration));
        Assert.True(TextReads.MayAssign(text, start, text.Length, "n", declaration));

        // A span that ends inside 'n2' or starts inside 'nn' does not spell 'n' there.
        var n2 = text.IndexOf("n2 = 3", StringComparison.Ordinal);
        Assert.False(TextReads.MayAssign(text, n2 + 1 - IdentifierPositions.MinimumLength, n2 + 1, "n", declaration));
        var nn = text.IndexOf("nn = 1", StringComparison.Ordinal);
        Assert.False(TextReads.MayAssign(text, nn + 1, nn + 1 + IdentifierPositions.MinimumLength, "n", declaration));
    }

    [Fact]
    public void Indexed_positions_are_the_positions_a_search_finds()
    {
        // Random texts over identifier pieces and separators, random spans and names: the index must list exactly the
        // whole identifiers TextScan.NextIdentifier finds in the span, cut identifiers at its ends included.
        var random = new Random(7);
        string[] pieces = ["ab", "a", "b", "b1", "_", "é", "x"];
        string[] separators = [" ", ".", "(", ";", "\n", "@", "\"", "\\u0061", ""];
        var compared = 0;
        for (var round = 0; round < 300; round++)
        {
            var text = string.Concat(Enumerable.Range(0, 200).Select(_ =>
                string.Concat(Enumerable.Range(0, 1 + random.Next(3)).Select(_ => pieces[random.Next(pieces.Length)])) + separators[random.Next(separators.Length)]));
            var start = random.Next(text.Length / 2);
            var end = start + random.Next(text.Length - start + 1);
            var index = IdentifierPositions.Of(text, start, end);
            Assert.Equal(TextReads.HasUnicodeEscape(text, start, end), index.HasUnicodeEscape);
            foreach (var name in new[] { "a", "ab", "b1", "ab_", "x", "é", "aab", "" })
            {
                var expected = new List<int>();
                for (var at = TextScan.NextIdentifier(text, name, start, end); at >= 0; at = TextScan.NextIdentifier(text, name, at + name.Length, end))
                {
                    expected.Add(at);
                }

                var found = index.Find(text, name).ToList();
                Assert.Equal(expected, found);
                compared += expected.Count;
            }
        }

        Assert.True(compared > 1000, $"only {compared} positions compared");
    }

    /// <summary><paramref name="body"/> at the start, in the middle and at the end of a span of at least the indexed length.</summary>
    private static IEnumerable<(string Text, int Start, int End)> Padded(string body)
    {
        var filler = Filler(IdentifierPositions.MinimumLength);
        yield return ("{ " + body + " " + filler + " }", 1, filler.Length + body.Length + 3);
        yield return ("{ " + filler + " " + body + " " + filler + " }", 1, (2 * filler.Length) + body.Length + 4);
        yield return ("{ " + filler + " " + body + " }", 1, filler.Length + body.Length + 4);
    }

    /// <summary>Statements that never assign 'n' (nor spell it), at least <paramref name="length"/> characters of them.</summary>
    private static string Filler(int length)
    {
        var statements = new System.Text.StringBuilder();
        for (var i = 0; statements.Length < length; i++)
        {
            statements.Append("total").Append(i % 7).Append(" += values[index").Append(i % 5).Append("] * ").Append(i % 11).Append("; ");
        }

        return statements.ToString();
    }

    private static bool IsEvidentRead(string marked)
    {
        var index = marked.IndexOf('«', StringComparison.Ordinal);
        var text = marked.Replace("«", "", StringComparison.Ordinal).Replace("»", "", StringComparison.Ordinal);
        return TextReads.IsEvidentRead(text, index, "table".Length);
    }
}
