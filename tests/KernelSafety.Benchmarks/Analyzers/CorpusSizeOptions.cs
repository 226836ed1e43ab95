using System.Globalization;

namespace KernelSafety.Benchmarks.Analyzers;

/// <summary>The options both analyzer harnesses take for the size of their corpora: <c>--lines N</c>, <c>--runs N</c>, <c>--smoke</c>.</summary>
internal sealed class CorpusSizeOptions
{
    private readonly int smokeLines;

    public CorpusSizeOptions(int lines, int runs, int smokeLines)
    {
        Lines = lines;
        Runs = runs;
        this.smokeLines = smokeLines;
    }

    public int Lines { get; private set; }

    public int Runs { get; private set; }

    /// <summary>True after <c>--smoke</c>: a small run that checks the harness works, not one that measures.</summary>
    public bool IsSmoke { get; private set; }

    /// <summary>
    /// Reads every argument: the size options here, any other through <paramref name="other"/>, which prints an error
    /// and returns false for one it does not take. False (with the error printed) when an argument is wrong.
    /// </summary>
    public bool ReadAll(string[] args, Func<string, bool> other)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (TryRead(args, ref i, out var error))
            {
                if (error is not null)
                {
                    Console.Error.WriteLine($"error: {error}");
                    return false;
                }
            }
            else if (!other(args[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the option at <paramref name="i"/> (and its value, moving <paramref name="i"/> past it). False when it is
    /// not one of these; then <paramref name="error"/> is null. True with an <paramref name="error"/> when its value is
    /// missing or not a positive number.
    /// </summary>
    private bool TryRead(string[] args, ref int i, out string? error)
    {
        error = null;
        switch (args[i])
        {
            case "--smoke":
                Lines = smokeLines;
                Runs = 1;
                IsSmoke = true;
                return true;
            case "--lines" or "--runs":
                var name = args[i];
                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                {
                    error = $"{name} needs a positive whole number";
                    return true;
                }

                i++;
                if (name == "--lines")
                {
                    Lines = value;
                }
                else
                {
                    Runs = value;
                }

                return true;
            default:
                return false;
        }
    }
}
