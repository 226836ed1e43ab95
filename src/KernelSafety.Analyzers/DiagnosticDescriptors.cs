using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers;

/// <summary>
/// Every descriptor in one place. Titles, IDs and default severities are fixed by RULES.md.
/// Message formats name the values involved and say what to do.
/// </summary>
public static class DiagnosticDescriptors
{
    // KS0001 ------------------------------------------------------------------------------------
    // {0}: the copy API ("Buffer.BlockCopy"), {1}: the count as written ("80"), {2}: its unit ("bytes", "elements"),
    // {3}: why it is unbounded.
    public static readonly DiagnosticDescriptor UncheckedCopyLength = Create(
        RuleIdentifiers.UncheckedCopyLength,
        "Copy length is not bounded by the source and destination",
        "'{0}' copies '{1}' {2} but {3}; bound the count by both sizes or reject oversized input",
        DiagnosticSeverity.Warning,
        "A copy whose length can exceed what the source holds or the destination can take reads or writes past a buffer: the listing's copy_from_user(msg, buff, 80).");

    // KS0002 ------------------------------------------------------------------------------------
    // {0}: the setup call ("connect", "ConnectAsync"), {1}: what is wrong and what to do.
    public static readonly DiagnosticDescriptor IgnoredSocketSetup = Create(
        RuleIdentifiers.IgnoredSocketSetup,
        "Socket setup result is ignored",
        "The result of '{0}' is ignored: {1}",
        DiagnosticSeverity.Warning,
        "A socket whose creation or connect failed must not be used: the listing prints the failure and sends anyway.");

    // KS0003 ------------------------------------------------------------------------------------
    // {0}: the value as written, {1}: its byte order, {2}: the destination (quoted where it is code),
    // {3}: the destination's byte order, {4}: what to do ("convert it with ... where it enters the destination").
    public static readonly DiagnosticDescriptor PortByteOrder = Create(
        RuleIdentifiers.PortByteOrder,
        "Port byte order does not match its destination",
        "'{0}' is in {1} byte order but {2} takes {3} byte order; {4}",
        DiagnosticSeverity.Warning,
        "Ports in sockaddr structures are in network byte order; managed endpoints take them in host order. Mixing the two connects to the wrong port on little-endian machines.");

    // KS0004 ------------------------------------------------------------------------------------
    // {0}: the send/write/decode API, {1}: the size used ("80", "buf.Length"), {2}: the valid length ("n").
    public static readonly DiagnosticDescriptor FixedSizeSend = Create(
        RuleIdentifiers.FixedSizeSend,
        "Send uses a fixed size instead of the valid length",
        "'{0}' uses '{1}' bytes but only '{2}' bytes are valid; pass the valid length so stale bytes do not leak",
        DiagnosticSeverity.Warning,
        "Sending a whole buffer or a fixed count when fewer bytes were filled leaks stale data to the peer: the listing always sends 80 bytes.");

    // KS0005 ------------------------------------------------------------------------------------
    // {0}: the send API, {1}: what is wrong and what to do.
    public static readonly DiagnosticDescriptor UncheckedSendResult = Create(
        RuleIdentifiers.UncheckedSendResult,
        "Send result is ignored or misread",
        "The result of '{0}' is {1}",
        DiagnosticSeverity.Warning,
        "A send can fail or send fewer bytes than asked; reading -1 as success or ignoring a partial send loses data: the listing's if (leng) printk(\"OK\").");

    // KS0006 ------------------------------------------------------------------------------------
    // {0}: the field, {1}: where it is written.
    public static readonly DiagnosticDescriptor SharedStaticBuffer = Create(
        RuleIdentifiers.SharedStaticBuffer,
        "Static buffer is shared by concurrent writers",
        "Static buffer '{0}' is written outside a lock in '{1}'; concurrent callers overwrite each other's data. Use a per-call buffer, [ThreadStatic] or a lock.",
        DiagnosticSeverity.Warning,
        "One static buffer written by every caller races when calls run concurrently: the listing's static char msg[80].");

    // KS0007 ------------------------------------------------------------------------------------
    // {0}: the method, {1}: the connect call.
    public static readonly DiagnosticDescriptor ConnectionPerWrite = Create(
        RuleIdentifiers.ConnectionPerWrite,
        "Connection is opened for every write",
        "'{0}' opens, uses and closes a connection ('{1}') for every write; keep one connection open and reuse it (see KernelSafety.Runtime.SocketDevice)",
        DiagnosticSeverity.Info,
        "Connecting for every write pays a handshake and leaves a TIME_WAIT entry per call: the listing's sock_create/connect/send/release in device_write.");

    private static DiagnosticDescriptor Create(string id, string title, string messageFormat, DiagnosticSeverity severity, string description)
        => new(
            id,
            title,
            messageFormat,
            RuleIdentifiers.Category,
            severity,
            isEnabledByDefault: true,
            description: description,
            helpLinkUri: RuleIdentifiers.HelpLink(id));
}
