using System.Net.Sockets;

namespace KernelSafety.Runtime;

/// <summary>
/// A connect or send of a <see cref="SocketDevice"/> failed. Carries the socket error and how many bytes of
/// the caller's write went out before the failure (framing bytes such as length prefixes are not counted).
/// </summary>
public class SocketDeviceException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SocketDeviceException(string message, SocketError socketError, int bytesWritten, Exception? innerException = null)
        : base(message, innerException)
    {
        SocketError = socketError;
        BytesWritten = bytesWritten;
        HResult = (int)socketError;
    }

    /// <summary>The socket error that ended the operation (<see cref="SocketError.TimedOut"/> for timeouts,
    /// <see cref="SocketError.OperationAborted"/> for a cancellation after bytes went out).</summary>
    public SocketError SocketError { get; }

    /// <summary>How many bytes of the caller's buffer were handed to the connection before the failure.
    /// Those bytes may have reached the peer; the rest did not go out.</summary>
    public int BytesWritten { get; }

    /// <summary>
    /// With <see cref="SocketDeviceOptions.Coalesce"/>: how many buffered bytes of earlier, already accepted writes
    /// (framing included) were not delivered because sending the buffer failed. Those bytes are dropped once reported;
    /// the peer may have received the bytes before them, possibly ending in a partial message. 0 when no buffered
    /// bytes were lost.
    /// </summary>
    public int BufferedBytesLost { get; init; }
}
