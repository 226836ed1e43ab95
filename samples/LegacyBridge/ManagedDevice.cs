using System.Net;
using System.Net.Sockets;

namespace LegacyBridge;

/// <summary>
/// The listing's device_write ported with managed sockets, pitfalls included. Each pitfall line names the
/// listing line it comes from and the rule that reports it.
/// </summary>
public static class ManagedDevice
{
    private static readonly byte[] msg = new byte[80]; // KS0006: static char msg[80];

    /// <summary>Forwards the first <paramref name="len"/> bytes of <paramref name="buff"/> to 127.0.0.1:<paramref name="port"/>.</summary>
    public static int DeviceWrite(byte[] buff, int len, ushort port)
    {
        Buffer.BlockCopy(buff, 0, msg, 0, len); // KS0001: ret = copy_from_user(msg, buff, 80);

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var server = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            socket.Connect(server); // KS0002: k = soc->ops->connect(...); KS0007: sock_create(); connect(); send(); release();
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"managed: connect failed: {e.SocketErrorCode}");
        }

        socket.Send(msg, 0, 80, SocketFlags.None); // KS0004: leng = sock_sendmsg(soc, &msgh, 80);
        socket.Close();
        return len;
    }
}
