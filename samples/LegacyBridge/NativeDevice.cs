using System.Net;
using System.Runtime.InteropServices;

namespace LegacyBridge;

/// <summary>
/// The listing's device_write ported with libc P/Invokes, pitfalls included. Each pitfall line names the
/// listing line it comes from and the rule that reports it.
/// </summary>
public static class NativeDevice
{
    private const int AF_INET = 2;
    private const int SOCK_STREAM = 1;
    private const int MSG_NOSIGNAL = 0x4000;

    private static readonly byte[] msg = new byte[80]; // KS0006: static char msg[80];

    /// <summary>Forwards the first <paramref name="len"/> bytes of <paramref name="buff"/> to 127.0.0.1:<paramref name="port"/>.</summary>
    public static int DeviceWrite(byte[] buff, int len, ushort port)
    {
        memcpy(msg, buff, (nuint)len); // KS0001: ret = copy_from_user(msg, buff, 80);

        int fd = socket(AF_INET, SOCK_STREAM, 0); // KS0002: k = sock_create(PF_INET, SOCK_STREAM, ...);

        var server = new sockaddr_in
        {
            sin_family = AF_INET,
            sin_addr = BitConverter.ToUInt32(IPAddress.Loopback.GetAddressBytes()),
        };
        server.sin_port = port; // KS0003: server.sin_port = 2001;

        int rc = connect(fd, ref server, (uint)Marshal.SizeOf<sockaddr_in>()); // KS0002: k = soc->ops->connect(...); KS0007: sock_create(); connect(); send(); release();
        if (rc < 0)
        {
            Console.Error.WriteLine($"native: connect failed: errno {Marshal.GetLastPInvokeError()}");
        }

        nint sent = send(fd, msg, 80, MSG_NOSIGNAL); // KS0004: leng = sock_sendmsg(soc, &msgh, 80); KS0005: if (leng) printk("OK");
        if (sent != 0)
        {
            Console.WriteLine("native: OK");
        }

        close(fd);
        return len;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct sockaddr_in
    {
        public ushort sin_family;
        public ushort sin_port;
        public uint sin_addr;
        public ulong sin_zero;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int connect(int sockfd, ref sockaddr_in addr, uint addrlen);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int sockfd, byte[] buf, nuint len, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern IntPtr memcpy(byte[] dest, byte[] src, nuint count);
}
