using KernelSafety.Analyzers.Analysis;

namespace KernelSafety.Analyzers.Tests.Analysis;

/// <summary>
/// The names a compilation gives its own P/Invokes are looked for in every tree: a tree that spells one is analyzed.
/// Few names are searched one by one, many in one walk of the text; both must find exactly the whole identifiers.
/// </summary>
public class IdentifierSetTests
{
    /// <summary>Enough names to take the one-walk path (more than are searched one by one).</summary>
    private static readonly string[] Padding = Enumerable.Range(0, 40).Select(i => "unused_native_" + i).ToArray();

    private static IdentifierSet Set(bool many, params string[] names) => new(many ? names.Concat(Padding) : names);

    [Theory]
    [InlineData(false, "nint n = WriteFile(fd, p, len);")]
    [InlineData(true, "nint n = WriteFile(fd, p, len);")]
    [InlineData(false, "WriteFile")]
    [InlineData(true, "WriteFile")]
    [InlineData(true, "x.@WriteFile(b);")]
    [InlineData(true, "// calls WriteFile\n")]
    [InlineData(true, "Posix.WriteFile")]
    [InlineData(true, "(WriteFile)")]
    public void Finds_a_name_spelled_as_a_whole_identifier(bool many, string text)
        => Assert.True(Set(many, "WriteFile").AnyIn(text));

    [Theory]
    [InlineData(false, "WriteFileAsync(); MyWriteFile(); WriteFile2(); _WriteFile(); WriteFileé();")]
    [InlineData(true, "WriteFileAsync(); MyWriteFile(); WriteFile2(); _WriteFile(); WriteFileé();")]
    [InlineData(true, "writefile(); WRITEFILE(); Write File();")]
    [InlineData(true, "")]
    [InlineData(true, "WriteFil")]
    public void Ignores_identifiers_that_only_contain_or_resemble_a_name(bool many, string text)
        => Assert.False(Set(many, "WriteFile").AnyIn(text));

    [Fact]
    public void Empty_names_spell_nothing()
    {
        Assert.True(new IdentifierSet([""]).IsEmpty);
        Assert.False(new IdentifierSet(["", "a"]).IsEmpty);
        Assert.False(new IdentifierSet(Padding.Append("")).AnyIn("x = y + z;"));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(60)]
    public void Agrees_with_searching_each_name(int count)
    {
        // Random texts over a small alphabet of identifier pieces and separators, so that names occur whole, inside
        // longer identifiers and next to digits and underscores.
        var random = new Random(count);
        string[] pieces = ["ab", "a", "b", "b1", "_", "ba", "é", "x"];
        string[] separators = [" ", ".", "(", ")", ";", "\n", "@", "\"", ""];
        var names = Enumerable.Range(0, count).Select(_ => Word(random, pieces, 1 + random.Next(3))).Distinct().ToArray();
        var set = new IdentifierSet(names);
        var found = 0;
        for (var round = 0; round < 2000; round++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 12))
                .Select(_ => Word(random, pieces, 1 + random.Next(3)) + separators[random.Next(separators.Length)]));
            var expected = names.Any(name => TextScan.ContainsIdentifier(text, name));
            Assert.True(expected == set.AnyIn(text), $"names [{string.Join(", ", names)}], text '{text}': expected {expected}");
            found += expected ? 1 : 0;
        }

        // Both answers occur, so the comparison tests something.
        Assert.InRange(found, 100, 1900);
    }

    private static string Word(Random random, string[] pieces, int length)
        => string.Concat(Enumerable.Range(0, length).Select(_ => pieces[random.Next(pieces.Length)]));
}
