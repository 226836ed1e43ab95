using System;
using System.Buffers.Binary;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Proxy
{
    /// <summary>
    /// HAProxy PROXY protocol version 2: a binary preamble a client-side relay sends first on a connection so the
    /// upstream server learns the original peer. Addresses and ports are in network byte order.
    /// </summary>
    public static class ProxyV2Header
    {
        public const int SignatureLength = 12;
        public const int FixedLength = 16;
        public const int MaxLength = FixedLength + 36;

        /// <summary>The protocol's constant signature; read-only, never written.</summary>
        private static readonly byte[] s_signature = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

        private const byte VersionProxy = 0x21;
        private const byte VersionLocal = 0x20;
        private const byte TcpOverIPv4 = 0x11;
        private const byte TcpOverIPv6 = 0x21;

        /// <summary>IPv4 address block exactly as on the wire (12 bytes).</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 1)]
        private struct Ipv4Block
        {
            [NetworkByteOrder] public uint SourceAddress;
            [NetworkByteOrder] public uint DestinationAddress;
            [NetworkByteOrder] public ushort SourcePort;
            [NetworkByteOrder] public ushort DestinationPort;
        }

        /// <summary>Writes a PROXY header for a TCP connection; returns its length (28 or 52 bytes).</summary>
        public static int WriteProxy(Span<byte> destination, IPEndPoint source, IPEndPoint target)
        {
            if (source.AddressFamily != target.AddressFamily)
                throw new ArgumentException("Source and destination must use the same address family.");
            bool v4 = source.AddressFamily == AddressFamily.InterNetwork;
            if (!v4 && source.AddressFamily != AddressFamily.InterNetworkV6)
                throw new ArgumentException("Only IPv4 and IPv6 endpoints can be described.", nameof(source));

            int blockLength = v4 ? 12 : 36;
            if (destination.Length < FixedLength + blockLength)
                throw new ArgumentException("Destination too small for the PROXY header.", nameof(destination));

            s_signature.CopyTo(destination);
            destination[12] = VersionProxy;
            destination[13] = v4 ? TcpOverIPv4 : TcpOverIPv6;
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(14), (ushort)blockLength);
            Span<byte> block = destination.Slice(FixedLength, blockLength);

            if (v4)
            {
                var ipv4 = new Ipv4Block
                {
                    SourcePort = NetOrder.HostToNetwork((ushort)source.Port),
                    DestinationPort = NetOrder.HostToNetwork((ushort)target.Port),
                };
                // Address bytes are already in network order: place them byte-for-byte into the fields.
                WriteAddress(source.Address, MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref ipv4.SourceAddress, 1)));
                WriteAddress(target.Address, MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref ipv4.DestinationAddress, 1)));
                MemoryMarshal.Write(block, in ipv4);
            }
            else
            {
                WriteAddress(source.Address, block.Slice(0, 16));
                WriteAddress(target.Address, block.Slice(16, 16));
                BinaryPrimitives.WriteUInt16BigEndian(block.Slice(32), (ushort)source.Port);
                BinaryPrimitives.WriteUInt16BigEndian(block.Slice(34), (ushort)target.Port);
            }
            return FixedLength + blockLength;
        }

        private static void WriteAddress(IPAddress address, Span<byte> destination)
        {
            if (!address.TryWriteBytes(destination, out int written) || written != destination.Length)
                throw new ArgumentException($"Address {address} does not fill {destination.Length} bytes.", nameof(address));
        }

        /// <summary>A LOCAL header (health checks): no address block.</summary>
        public static int WriteLocal(Span<byte> destination)
        {
            if (destination.Length < FixedLength) throw new ArgumentException("Destination too small.", nameof(destination));
            s_signature.CopyTo(destination);
            destination[12] = VersionLocal;
            destination[13] = 0x00;
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(14), 0);
            return FixedLength;
        }

        /// <summary>Parses a header; returns the original source and destination, or nulls for LOCAL.</summary>
        public static (IPEndPoint? Source, IPEndPoint? Target, int Consumed) Parse(ReadOnlySpan<byte> header)
        {
            if (header.Length < FixedLength || !header.Slice(0, SignatureLength).SequenceEqual(s_signature))
                throw new WireFormatException("Not a PROXY v2 header.");
            int blockLength = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(14));
            if (blockLength > header.Length - FixedLength) throw new WireFormatException("PROXY address block is truncated.");
            int consumed = FixedLength + blockLength;
            ReadOnlySpan<byte> block = header.Slice(FixedLength, blockLength);

            if (header[12] == VersionLocal) return (null, null, consumed);
            if (header[12] != VersionProxy) throw new WireFormatException($"Unsupported PROXY version/command 0x{header[12]:x2}.");

            switch (header[13])
            {
                case TcpOverIPv4 when blockLength >= 12:
                    return (new IPEndPoint(new IPAddress(block.Slice(0, 4)), BinaryPrimitives.ReadUInt16BigEndian(block.Slice(8))),
                            new IPEndPoint(new IPAddress(block.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(block.Slice(10))),
                            consumed);
                case TcpOverIPv6 when blockLength >= 36:
                    return (new IPEndPoint(new IPAddress(block.Slice(0, 16)), BinaryPrimitives.ReadUInt16BigEndian(block.Slice(32))),
                            new IPEndPoint(new IPAddress(block.Slice(16, 16)), BinaryPrimitives.ReadUInt16BigEndian(block.Slice(34))),
                            consumed);
                default:
                    throw new WireFormatException($"Unsupported PROXY family/transport 0x{header[13]:x2} with {blockLength} address bytes.");
            }
        }
    }

    /// <summary>Opens an upstream connection on behalf of a client and announces the client with a PROXY header.</summary>
    public static class ProxiedConnection
    {
        /// <param name="upstream">Where to connect.</param>
        /// <param name="originalClient">The peer that connected to us.</param>
        /// <param name="originalDestination">The local address and port that peer connected to.</param>
        public static async Task<NetworkStream> OpenAsync(IPEndPoint upstream, IPEndPoint originalClient, IPEndPoint originalDestination, CancellationToken cancellationToken = default)
        {
            IPEndPoint source = originalClient;
            IPEndPoint target = originalDestination;
            if (source.AddressFamily != target.AddressFamily)
            {
                // One side is IPv6: describe both as IPv6 (IPv4 addresses map losslessly).
                source = ToIPv6(source);
                target = ToIPv6(target);
            }
            byte[] header = new byte[ProxyV2Header.MaxLength];
            int length = ProxyV2Header.WriteProxy(header, source, target);

            var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await SocketIO.ConnectWithEventArgsAsync(socket, upstream).WaitAsync(cancellationToken).ConfigureAwait(false);
                await SocketIO.SendAllAsync(socket, header.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private static IPEndPoint ToIPv6(IPEndPoint endPoint) =>
            endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? endPoint : new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port);
    }
}
