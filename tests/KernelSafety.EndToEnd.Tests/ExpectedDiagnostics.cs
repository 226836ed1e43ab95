namespace KernelSafety.EndToEnd.Tests;

/// <summary>One diagnostic the legacy sample must produce: rule, file, and the code on the reported line.</summary>
/// <param name="Rule">The rule ID.</param>
/// <param name="File">The sample file (samples/LegacyBridge/...).</param>
/// <param name="LineCode">Code that appears on exactly one line of <paramref name="File"/>: the line the rule reports.</param>
/// <param name="Listing">The listing line the pitfall comes from.</param>
public sealed record ExpectedDiagnostic(string Rule, string File, string LineCode, string Listing)
{
    public override string ToString() => $"{Rule} {File}: {LineCode}";
}

public enum GapKind
{
    /// <summary>The analyzer does not report the expected diagnostic.</summary>
    NotReported,

    /// <summary>The diagnostic is reported but `dotnet format analyzers` cannot fix it.</summary>
    NoFix,
}

/// <summary>A known difference between the table and what the rules do today, with the reason.</summary>
public sealed record KnownGap(string Rule, string File, string LineCode, GapKind Kind, string Reason)
{
    public bool Matches(ExpectedDiagnostic expected)
        => expected.Rule == Rule && expected.File == File && expected.LineCode == LineCode;

    public override string ToString() => $"{Rule} {File}: {LineCode} [{Kind}] {Reason}";
}

/// <summary>
/// THE table: every diagnostic `dotnet build samples/LegacyBridge` must report, per rule, and nothing else
/// from KS. Rules whose analyzer has not landed yet (no analyzer in KernelSafety.Analyzers supports the ID)
/// are listed here all the same; the tests check them as soon as the analyzer exists.
/// </summary>
public static class ExpectedDiagnostics
{
    public const string Managed = "ManagedDevice.cs";
    public const string Native = "NativeDevice.cs";

    public static readonly IReadOnlyList<ExpectedDiagnostic> All =
    [
        // KS0001 Copy length is not bounded by the source and destination
        new("KS0001", Managed, "Buffer.BlockCopy(buff, 0, msg, 0, len);", "ret = copy_from_user(msg, buff, 80);"),
        new("KS0001", Native, "memcpy(msg, buff, (nuint)len);", "ret = copy_from_user(msg, buff, 80);"),

        // KS0002 Socket setup result is ignored
        new("KS0002", Managed, "socket.Connect(server);", "k = soc->ops->connect(...); (failure printed, sends anyway)"),
        new("KS0002", Native, "int fd = socket(AF_INET, SOCK_STREAM, 0);", "k = sock_create(PF_INET, SOCK_STREAM, ...);"),
        new("KS0002", Native, "int rc = connect(fd, ref server,", "k = soc->ops->connect(...); (failure printed, sends anyway)"),

        // KS0003 Port byte order does not match its destination
        new("KS0003", Native, "server.sin_port = port;", "server.sin_port = 2001;"),

        // KS0004 Send uses a fixed size instead of the valid length
        new("KS0004", Managed, "socket.Send(msg, 0, 80, SocketFlags.None);", "leng = sock_sendmsg(soc, &msgh, 80);"),
        new("KS0004", Native, "nint sent = send(fd, msg, 80, MSG_NOSIGNAL);", "leng = sock_sendmsg(soc, &msgh, 80);"),

        // KS0005 Send result is ignored or misread
        new("KS0005", Native, "nint sent = send(fd, msg, 80, MSG_NOSIGNAL);", "if (leng) printk(\"OK\");"),

        // KS0006 Static buffer is shared by concurrent writers
        new("KS0006", Managed, "private static readonly byte[] msg = new byte[80];", "static char msg[80];"),
        new("KS0006", Native, "private static readonly byte[] msg = new byte[80];", "static char msg[80];"),

        // KS0007 Connection is opened for every write (suggestion, no fix)
        new("KS0007", Managed, "socket.Connect(server);", "sock_create(); connect(); send(); release();"),
        new("KS0007", Native, "int rc = connect(fd, ref server,", "sock_create(); connect(); send(); release();"),
    ];

    /// <summary>
    /// Gaps between RULES.md and the rules as written, found by this test on the sample. Each one is tolerated
    /// (and logged) instead of failing the run; anything not listed here fails. Remove an entry when its gap closes:
    /// the test logs "gap closed" for entries that no longer apply.
    /// </summary>
    public static readonly IReadOnlyList<KnownGap> KnownGaps =
    [
        // (KS0005 Native "nint sent = send(fd, msg, 80, MSG_NOSIGNAL);" NoFix: closed, the fix resends a byte[] tail.)
    ];

    /// <summary>The rules whose fixes the fixed sample needs before it sends exactly the bytes written, per device.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> FixesNeededForCorrectRun = new Dictionary<string, string[]>
    {
        // Send the valid length; a per-call buffer.
        ["managed"] = ["KS0004"],
        // Right port, valid length.
        ["native"] = ["KS0003", "KS0004"],
    };
}
