using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Quiet.Interop.Native;

namespace Quiet.Interop.Net;

/// <summary>Classic DllImport bindings; the runtime marshals the returned descriptor into a SafeHandle.</summary>
internal static unsafe class DatagramNative
{
    [DllImport(LibC.Name, EntryPoint = "socket", SetLastError = true)]
    public static extern FileDescriptorHandle Socket(int domain, int type, int protocol);

    [DllImport(LibC.Name, EntryPoint = "connect", SetLastError = true)]
    public static extern int Connect(FileDescriptorHandle socket, byte* address, uint addressLength);

    [DllImport(LibC.Name, EntryPoint = "send", SetLastError = true)]
    public static extern nint Send(FileDescriptorHandle socket, byte* buffer, nuint length, int flags);

    [DllImport(LibC.Name, EntryPoint = "sendto", SetLastError = true)]
    public static extern nint SendTo(FileDescriptorHandle socket, byte* buffer, nuint length, int flags, byte* address, uint addressLength);
}

/// <summary>
/// Emits syslog-style datagrams to one collector. The socket is created and "connected" once (for UDP
/// that only fixes the default peer, no handshake) and reused for every message.
/// </summary>
public sealed unsafe class DatagramSender : IDisposable
{
    /// <summary>Largest UDP payload over IPv4 (65535 - 20 byte IP header - 8 byte UDP header).</summary>
    public const int MaxDatagram = 65_507;

    [ThreadStatic]
    private static byte[]? t_encodeBuffer;

    private readonly FileDescriptorHandle _socket;
    private readonly ushort _family;

    public DatagramSender(IPEndPoint collector)
    {
        ArgumentNullException.ThrowIfNull(collector);
        _family = collector.AddressFamily == AddressFamily.InterNetwork ? AddressFamilies.AF_INET : AddressFamilies.AF_INET6;

        _socket = DatagramNative.Socket(_family, SocketNative.SOCK_DGRAM | SocketNative.SOCK_CLOEXEC, SocketNative.IPPROTO_UDP);
        if (_socket.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            _socket.Dispose();
            throw new NativeIOException("socket", errno);
        }

        try
        {
            ConnectDefaultPeer(collector);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    private void ConnectDefaultPeer(IPEndPoint collector)
    {
        int result;
        if (_family == AddressFamilies.AF_INET)
        {
            SockAddrIn sa = SockAddrIn.Create(collector.Address, collector.Port);
            result = DatagramNative.Connect(_socket, (byte*)&sa, (uint)sizeof(SockAddrIn));
        }
        else
        {
            SockAddrIn6 sa6 = SockAddrIn6.Create(collector.Address, collector.Port);
            result = DatagramNative.Connect(_socket, (byte*)&sa6, (uint)sizeof(SockAddrIn6));
        }

        ThrowOnError(result, "connect");
    }

    private static void ThrowOnError(int result, string operation)
    {
        if (result != 0)
        {
            throw NativeIOException.FromLastError(operation);
        }
    }

    /// <summary>Sends one text message as a single datagram, encoded as UTF-8.</summary>
    public void Send(string message)
    {
        ArgumentNullException.ThrowIfNull(message);

        int byteCount = Encoding.UTF8.GetByteCount(message);
        if (byteCount > MaxDatagram)
        {
            throw new ArgumentException($"Message encodes to {byteCount} bytes; a datagram holds {MaxDatagram}.", nameof(message));
        }

        byte[] buffer = t_encodeBuffer ??= new byte[MaxDatagram];
        int length = Encoding.UTF8.GetBytes(message, buffer);
        SendDatagram(buffer.AsSpan(0, length));
    }

    /// <summary>Sends <paramref name="payload"/> as one datagram to the connected collector.</summary>
    public void SendDatagram(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxDatagram)
        {
            throw new ArgumentOutOfRangeException(nameof(payload));
        }

        fixed (byte* data = payload)
        {
            nint sent;
            do
            {
                sent = DatagramNative.Send(_socket, data, (nuint)payload.Length, SocketNative.MSG_NOSIGNAL);
            }
            while (sent == -1 && Marshal.GetLastPInvokeError() == Errno.EINTR);

            if (sent == -1)
            {
                throw NativeIOException.FromLastError("send");
            }

            // Datagrams are sent whole or not at all; anything else means the message was cut.
            if (sent != payload.Length)
            {
                throw new IOException($"Datagram truncated: {sent} of {payload.Length} bytes sent.");
            }
        }
    }

    /// <summary>Sends a datagram to an explicit destination of the same family, bypassing the default peer.</summary>
    public void SendTo(ReadOnlySpan<byte> payload, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (payload.Length > MaxDatagram)
        {
            throw new ArgumentOutOfRangeException(nameof(payload));
        }

        // Both address structs fit in this scratch area; sockaddr_storage is 128 bytes.
        byte* address = stackalloc byte[128];
        uint addressLength;
        if (_family == AddressFamilies.AF_INET)
        {
            *(SockAddrIn*)address = SockAddrIn.Create(destination.Address, destination.Port);
            addressLength = (uint)sizeof(SockAddrIn);
        }
        else
        {
            *(SockAddrIn6*)address = SockAddrIn6.Create(destination.Address, destination.Port);
            addressLength = (uint)sizeof(SockAddrIn6);
        }

        fixed (byte* data = payload)
        {
            while (true)
            {
                nint sent = DatagramNative.SendTo(_socket, data, (nuint)payload.Length, SocketNative.MSG_NOSIGNAL, address, addressLength);
                if (sent == payload.Length)
                {
                    return;
                }

                if (sent >= 0)
                {
                    throw new IOException($"Datagram truncated: {sent} of {payload.Length} bytes sent.");
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NativeIOException("sendto", errno);
                }
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
