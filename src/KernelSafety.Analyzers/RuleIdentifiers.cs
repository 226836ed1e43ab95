namespace KernelSafety.Analyzers;

/// <summary>The fixed rule IDs of ../shared/design/RULES.md. Tests, docs and users depend on them.</summary>
public static class RuleIdentifiers
{
    public const string Category = "KernelSafety";

    public const string UncheckedCopyLength = "KS0001";
    public const string IgnoredSocketSetup = "KS0002";
    public const string PortByteOrder = "KS0003";
    public const string FixedSizeSend = "KS0004";
    public const string UncheckedSendResult = "KS0005";
    public const string SharedStaticBuffer = "KS0006";
    public const string ConnectionPerWrite = "KS0007";

    public const string HelpLinkBase = "https://github.com/kernelsafety/kernelsafety/blob/main/docs/rules/";

    public static string HelpLink(string id) => HelpLinkBase + id + ".md";
}
