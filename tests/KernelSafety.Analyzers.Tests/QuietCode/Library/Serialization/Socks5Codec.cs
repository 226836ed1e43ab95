using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Net.Sockets;

namespace Quiet.Net.Serialization
{
    /// <summary>Reply codes defined by RFC 1928, section 6.</summary>
    public enum Socks5Reply : byte
    {
        Succeeded = 0x00,
        GeneralFailure = 0x01,
        NotAllowed = 0x02,
        NetworkUnreachable = 0x03,
        HostUnreachable = 0x04,
        ConnectionRefused = 0x05,
        TtlExpired = 0x06,
        CommandNotSupported = 0x07,
        AddressTypeNotSupported = 0x08,
    }

    /// <summary>
    /// Encodes and decodes the SOCKS5 CONNECT exchange (RFC 1928) without authentication. Ports travel in
    /// network byte order, as the RFC requires.
    /// </summary>
    public static class Socks5Codec
    {
        private const byte Version = 0x05;
        private const byte CommandConnect = 0x01;
        private const byte AddressIPv4 = 0x01;
        private const byte AddressDomain = 0x03;
        private const byte AddressIPv6 = 0x04;
        private const byte MethodNoAuthentication = 0x00;

        /// <summary>Largest reply: header, length byte, 255-byte domain and port.</summary>
        public const int MaxReplyLength = 4 + 1 + 255 + 2;

        /// <summary>Writes the method-selection greeting offering "no authentication".</summary>
        public static void WriteGreeting(IBufferWriter<byte> writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            ReadOnlySpan<byte> greeting = [Version, 1, MethodNoAuthentication];
            greeting.CopyTo(writer.GetSpan(greeting.Length));
            writer.Advance(greeting.Length);
        }

        /// <summary>Writes a CONNECT request for an IP or DNS endpoint.</summary>
        public static void WriteConnectRequest(IBufferWriter<byte> writer, EndPoint target)
        {
            ArgumentNullException.ThrowIfNull(writer);
            ArgumentNullException.ThrowIfNull(target);

            switch (target)
            {
                case IPEndPoint ip:
                    WriteConnectRequest(writer, ip.Address, ip.Port);
                    break;

                case DnsEndPoint dns:
                    WriteConnectRequest(writer, dns.Host, dns.Port);
                    break;

                default:
                    throw new ArgumentException($"Unsupported endpoint type {target.GetType()}.", nameof(target));
            }
        }

        private static void WriteConnectRequest(IBufferWriter<byte> writer, IPAddress address, int port)
        {
            bool isV4 = address.AddressFamily == AddressFamily.InterNetwork;
            int addressLength = isV4 ? 4 : 16;
            int total = 4 + addressLength + 2;

            Span<byte> span = writer.GetSpan(total);
            span[0] = Version;
            span[1] = CommandConnect;
            span[2] = 0; // reserved
            span[3] = isV4 ? AddressIPv4 : AddressIPv6;

            if (!address.TryWriteBytes(span.Slice(4, addressLength), out int written) || written != addressLength)
            {
                throw new ArgumentException($"Cannot encode address {address}.", nameof(address));
            }

            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(4 + addressLength), (ushort)port);
            writer.Advance(total);
        }

        private static void WriteConnectRequest(IBufferWriter<byte> writer, string host, int port)
        {
            if (!Ascii.IsValid(host))
            {
                throw new ArgumentException("Host names must be ASCII (use the IDN form).", nameof(host));
            }

            if (host.Length is 0 or > 255)
            {
                throw new ArgumentException("Host names must be 1 to 255 characters long.", nameof(host));
            }

            int total = 5 + host.Length + 2;
            Span<byte> span = writer.GetSpan(total);
            span[0] = Version;
            span[1] = CommandConnect;
            span[2] = 0;
            span[3] = AddressDomain;
            span[4] = (byte)host.Length;
            int written = Encoding.ASCII.GetBytes(host, span.Slice(5, host.Length));
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(5 + written), (ushort)port);
            writer.Advance(5 + written + 2);
        }

        /// <summary>
        /// Parses a CONNECT reply. Returns false if <paramref name="reply"/> does not yet hold a complete reply.
        /// </summary>
        public static bool TryParseReply(ReadOnlySpan<byte> reply, out Socks5Reply status, out EndPoint? bound, out int consumed)
        {
            status = Socks5Reply.GeneralFailure;
            bound = null;
            consumed = 0;

            if (reply.Length < 5)
            {
                return false;
            }

            if (reply[0] != Version)
            {
                throw new InvalidDataException($"Unexpected SOCKS version {reply[0]}.");
            }

            int addressLength = reply[3] switch
            {
                AddressIPv4 => 4,
                AddressIPv6 => 16,
                AddressDomain => 1 + reply[4],
                byte other => throw new InvalidDataException($"Unknown address type {other}."),
            };

            int total = 4 + addressLength + 2;
            if (reply.Length < total)
            {
                return false;
            }

            ReadOnlySpan<byte> addressBytes = reply.Slice(4, addressLength);
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(reply.Slice(4 + addressLength, 2));

            bound = reply[3] == AddressDomain
                ? new DnsEndPoint(Encoding.ASCII.GetString(addressBytes.Slice(1)), port)
                : new IPEndPoint(new IPAddress(addressBytes), port);
            status = (Socks5Reply)reply[1];
            consumed = total;
            return true;
        }

        /// <summary>
        /// Runs the greeting and CONNECT exchange on an already connected socket to the proxy.
        /// Returns the address the proxy bound for the tunnel.
        /// </summary>
        public static async Task<EndPoint> ConnectThroughProxyAsync(Socket proxy, EndPoint target,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(proxy);
            ArgumentNullException.ThrowIfNull(target);

            using var request = new PooledBufferWriter(64);
            WriteGreeting(request);
            await proxy.SendAllAsync(request.WrittenMemory, cancellationToken).ConfigureAwait(false);

            byte[] methodReply = new byte[2];
            await proxy.ReadExactlyAsync(methodReply, cancellationToken).ConfigureAwait(false);
            if (methodReply[0] != Version || methodReply[1] != MethodNoAuthentication)
            {
                throw new IOException("The proxy did not accept unauthenticated access.");
            }

            request.Reset();
            WriteConnectRequest(request, target);
            await proxy.SendAllAsync(request.WrittenMemory, cancellationToken).ConfigureAwait(false);

            byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxReplyLength);
            try
            {
                // The reply's length depends on its address type: read the fixed part first, then the rest.
                const int FixedPart = 5;
                await proxy.ReadExactlyAsync(buffer.AsMemory(0, FixedPart), cancellationToken).ConfigureAwait(false);
                int filled = FixedPart;

                Socks5Reply status;
                EndPoint? bound;
                int consumed;
                while (!TryParseReply(buffer.AsSpan(0, filled), out status, out bound, out consumed))
                {
                    int needed = ExpectedReplyLength(buffer.AsSpan(0, filled));
                    if (needed > MaxReplyLength || needed <= filled)
                    {
                        throw new InvalidDataException("Malformed SOCKS5 reply.");
                    }

                    await proxy.ReadExactlyAsync(buffer.AsMemory(filled, needed - filled), cancellationToken)
                        .ConfigureAwait(false);
                    filled = needed;
                }

                if (status != Socks5Reply.Succeeded)
                {
                    throw new IOException($"The proxy refused the connection: {status}.");
                }

                return bound!;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static int ExpectedReplyLength(ReadOnlySpan<byte> header) => header[3] switch
        {
            AddressIPv4 => 4 + 4 + 2,
            AddressIPv6 => 4 + 16 + 2,
            AddressDomain => 4 + 1 + header[4] + 2,
            _ => throw new InvalidDataException($"Unknown address type {header[3]}."),
        };
    }
}
