using Microsoft.CodeAnalysis;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>What kind of send an invocation is.</summary>
internal enum SendKind
{
    None,

    /// <summary><c>Socket.Send</c>/<c>SendAsync</c>/<c>SendTo</c>/<c>SendToAsync</c>/<c>BeginSend</c>.</summary>
    Socket,

    /// <summary><c>Stream.Write</c>/<c>WriteAsync</c> on any stream.</summary>
    Stream,

    /// <summary><c>UdpClient.Send</c>/<c>SendAsync</c>.</summary>
    UdpClient,

    /// <summary>P/Invoke'd libc <c>send</c>, <c>sendto</c> or <c>write</c>.</summary>
    Native,
}

/// <summary>What kind of connection setup an invocation is.</summary>
internal enum ConnectKind
{
    None,

    /// <summary><c>Socket.Connect</c>/<c>ConnectAsync</c>/<c>BeginConnect</c>.</summary>
    Socket,

    /// <summary><c>TcpClient.Connect</c>/<c>ConnectAsync</c>/<c>BeginConnect</c>, <c>UdpClient.Connect</c>.</summary>
    Client,

    /// <summary>P/Invoke'd libc <c>connect</c>.</summary>
    Native,
}

/// <summary>
/// Classifies socket calls by their symbols, never by their names alone: a method called <c>Send</c> on
/// a user type is not a socket send, and <c>[DllImport("libc", EntryPoint = "send")] Foo()</c> is.
/// </summary>
internal static class SocketApi
{
    public static SendKind GetSendKind(IMethodSymbol method, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return SendKind.None;
        }

        switch (method.Name)
        {
            case "Send" or "SendAsync" or "SendTo" or "SendToAsync" or "BeginSend"
                when KnownSymbols.IsOrDerivesFrom(type, symbols.Socket):
                return SendKind.Socket;
            case "Write" or "WriteAsync"
                when KnownSymbols.IsOrDerivesFrom(type, symbols.Stream):
                return SendKind.Stream;
            case "Send" or "SendAsync"
                when KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient):
                return SendKind.UdpClient;
        }

        return NativeMethods.IsSend(method, symbols) ? SendKind.Native : SendKind.None;
    }

    public static ConnectKind GetConnectKind(IMethodSymbol method, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return ConnectKind.None;
        }

        switch (method.Name)
        {
            case "Connect" or "ConnectAsync" or "BeginConnect"
                when KnownSymbols.IsOrDerivesFrom(type, symbols.Socket):
                return ConnectKind.Socket;
            case "Connect" or "ConnectAsync" or "BeginConnect"
                when KnownSymbols.IsOrDerivesFrom(type, symbols.TcpClient) || KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient):
                return ConnectKind.Client;
        }

        return NativeMethods.Is(method, NativeMethods.Connect, symbols) ? ConnectKind.Native : ConnectKind.None;
    }

    /// <summary>
    /// True for calls that read a peer's reply: <c>Socket.Receive*</c>, <c>Stream.Read*</c>/<c>CopyTo*</c>,
    /// <c>TextReader.Read*</c>, <c>UdpClient.Receive*</c>, and P/Invoke'd <c>recv</c>/<c>recvfrom</c>/<c>read</c>.
    /// </summary>
    public static bool IsReceive(IMethodSymbol method, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        var name = method.Name;
        if (name.StartsWith("Receive", System.StringComparison.Ordinal) || name == "BeginReceive")
        {
            return KnownSymbols.IsOrDerivesFrom(type, symbols.Socket) || KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient);
        }

        if (name.StartsWith("Read", System.StringComparison.Ordinal) || name is "BeginRead" or "CopyTo" or "CopyToAsync")
        {
            if (KnownSymbols.IsOrDerivesFrom(type, symbols.Stream) || KnownSymbols.IsOrDerivesFrom(type, symbols.TextReader)
                || KnownSymbols.IsOrDerivesFrom(type, symbols.BinaryReader))
            {
                return true;
            }
        }

        return NativeMethods.GetEntryPoint(method, symbols) is "recv" or "recvfrom" or "read";
    }
}
