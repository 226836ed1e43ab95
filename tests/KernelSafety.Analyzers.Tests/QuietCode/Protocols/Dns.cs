using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Protocols.Common;

namespace Quiet.Protocols.Dns
{
    public enum DnsRecordType : ushort
    {
        A = 1,
        NS = 2,
        CNAME = 5,
        SOA = 6,
        PTR = 12,
        MX = 15,
        TXT = 16,
        AAAA = 28,
        SRV = 33,
    }

    public enum DnsResponseCode : byte
    {
        NoError = 0,
        FormatError = 1,
        ServerFailure = 2,
        NameError = 3,
        NotImplemented = 4,
        Refused = 5,
    }

    /// <summary>The fixed 12-byte header. All six fields are big-endian on the wire.</summary>
    public readonly record struct DnsHeader(ushort Id, ushort Flags, ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount)
    {
        public const int Size = 12;

        public bool IsResponse => (Flags & 0x8000) != 0;
        public bool IsTruncated => (Flags & 0x0200) != 0;
        public DnsResponseCode ResponseCode => (DnsResponseCode)(Flags & 0x000F);

        public static DnsHeader Read(ReadOnlySpan<byte> message)
        {
            if (message.Length < Size) throw new WireFormatException("DNS message shorter than its header.");
            return new DnsHeader(
                BinaryPrimitives.ReadUInt16BigEndian(message),
                BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2)),
                BinaryPrimitives.ReadUInt16BigEndian(message.Slice(4)),
                BinaryPrimitives.ReadUInt16BigEndian(message.Slice(6)),
                BinaryPrimitives.ReadUInt16BigEndian(message.Slice(8)),
                BinaryPrimitives.ReadUInt16BigEndian(message.Slice(10)));
        }

        public void Write(Span<byte> destination)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), Flags);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), QuestionCount);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), AnswerCount);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), AuthorityCount);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), AdditionalCount);
        }
    }

    public readonly record struct MxData(ushort Preference, string Exchange);

    public readonly record struct SrvData(ushort Priority, ushort Weight, ushort Port, string Target)
    {
        /// <summary>Port was decoded from big-endian, so it is already a host-order number for DnsEndPoint.</summary>
        public DnsEndPoint ToEndPoint() => new DnsEndPoint(Target, Port);

        /// <summary>
        /// Writes the RDATA of an SRV record (for dynamic updates, RFC 2136): priority, weight and port as
        /// big-endian 16-bit fields, then the uncompressed target name. Returns the number of bytes written.
        /// </summary>
        public int WriteTo(Span<byte> destination)
        {
            string asciiTarget = DnsQueryBuilder.ToAscii(Target);
            int size = 6 + DnsQueryBuilder.GetEncodedNameLength(asciiTarget);
            if (destination.Length < size) throw new ArgumentException("Destination too small for the SRV record.", nameof(destination));
            BinaryPrimitives.WriteUInt16BigEndian(destination, Priority);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), Weight);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), Port);
            return 6 + DnsQueryBuilder.WriteName(destination.Slice(6), asciiTarget);
        }
    }

    public sealed record DnsRecord(string Name, DnsRecordType Type, ushort Class, uint TimeToLive, object? Data);

    public sealed record DnsQuestion(string Name, DnsRecordType Type, ushort Class);

    public sealed class DnsResponse
    {
        public DnsHeader Header { get; init; }
        public List<DnsQuestion> Questions { get; } = new();
        public List<DnsRecord> Answers { get; } = new();
        public List<DnsRecord> Authorities { get; } = new();
        public List<DnsRecord> Additionals { get; } = new();
    }

    public static class DnsQueryBuilder
    {
        public const int MaxNameLength = 255;
        public const int MaxLabelLength = 63;
        public const ushort ClassInternet = 1;

        public static string ToAscii(string name)
        {
            string trimmed = name.EndsWith('.') ? name[..^1] : name;
            foreach (char c in trimmed)
            {
                if (c > 0x7F)
                {
                    // IdnMapping instances are not documented as thread-safe; use one per call.
                    return new IdnMapping().GetAscii(trimmed);
                }
            }
            return trimmed;
        }

        public static int GetEncodedNameLength(string asciiName) => asciiName.Length == 0 ? 1 : asciiName.Length + 2;

        public static int GetQuerySize(string asciiName) => DnsHeader.Size + GetEncodedNameLength(asciiName) + 4;

        /// <summary>Writes a one-question query. Returns the number of bytes written.</summary>
        public static int WriteQuery(Span<byte> destination, ushort id, string asciiName, DnsRecordType type, bool recursionDesired = true)
        {
            int size = GetQuerySize(asciiName);
            if (destination.Length < size) throw new ArgumentException("Destination too small for the query.", nameof(destination));

            new DnsHeader(id, recursionDesired ? (ushort)0x0100 : (ushort)0, 1, 0, 0, 0).Write(destination);
            int position = DnsHeader.Size + WriteName(destination.Slice(DnsHeader.Size), asciiName);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(position), (ushort)type);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(position + 2), ClassInternet);
            return position + 4;
        }

        public static int WriteName(Span<byte> destination, string asciiName)
        {
            if (asciiName.Length == 0)
            {
                destination[0] = 0;
                return 1;
            }
            if (GetEncodedNameLength(asciiName) > MaxNameLength)
                throw new ArgumentException($"'{asciiName}' is longer than {MaxNameLength} bytes on the wire.", nameof(asciiName));

            int position = 0;
            foreach (string label in asciiName.Split('.'))
            {
                if (label.Length == 0 || label.Length > MaxLabelLength)
                    throw new ArgumentException($"Label '{label}' must be 1..{MaxLabelLength} characters.", nameof(asciiName));
                destination[position] = (byte)label.Length;
                int written = Encoding.ASCII.GetBytes(label, destination.Slice(position + 1, label.Length));
                position += 1 + written;
            }
            destination[position++] = 0;
            return position;
        }

        public static string ReverseLookupName(IPAddress address)
        {
            byte[] bytes = address.GetAddressBytes();
            var name = new StringBuilder(bytes.Length * 4 + 16);
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                for (int i = bytes.Length - 1; i >= 0; i--) name.Append(bytes[i]).Append('.');
                return name.Append("in-addr.arpa").ToString();
            }
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                name.Append("0123456789abcdef"[bytes[i] & 0xF]).Append('.');
                name.Append("0123456789abcdef"[bytes[i] >> 4]).Append('.');
            }
            return name.Append("ip6.arpa").ToString();
        }
    }

    public static class DnsMessageParser
    {
        private const int MaxPointerJumps = 64;

        public static DnsResponse Parse(ReadOnlySpan<byte> message)
        {
            DnsHeader header = DnsHeader.Read(message);
            var response = new DnsResponse { Header = header };
            int offset = DnsHeader.Size;

            for (int i = 0; i < header.QuestionCount; i++)
            {
                string name = ReadName(message, ref offset);
                Require(message, offset, 4);
                var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message.Slice(offset));
                ushort cls = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(offset + 2));
                offset += 4;
                response.Questions.Add(new DnsQuestion(name, type, cls));
            }
            for (int i = 0; i < header.AnswerCount; i++) response.Answers.Add(ReadRecord(message, ref offset));
            for (int i = 0; i < header.AuthorityCount; i++) response.Authorities.Add(ReadRecord(message, ref offset));
            for (int i = 0; i < header.AdditionalCount; i++) response.Additionals.Add(ReadRecord(message, ref offset));
            return response;
        }

        private static void Require(ReadOnlySpan<byte> message, int offset, int count)
        {
            if (offset < 0 || count < 0 || offset > message.Length - count)
                throw new WireFormatException($"DNS message truncated: need {count} bytes at offset {offset} of {message.Length}.");
        }

        /// <summary>
        /// Reads a possibly compressed name. <paramref name="offset"/> moves past the name as it appears at that
        /// position (past the first pointer, if any). Pointers must point strictly backwards and are counted,
        /// so a malicious loop ends with an exception.
        /// </summary>
        public static string ReadName(ReadOnlySpan<byte> message, ref int offset)
        {
            var name = new StringBuilder();
            int position = offset;
            int wireLength = 1;
            int jumps = 0;
            bool jumped = false;

            while (true)
            {
                Require(message, position, 1);
                byte length = message[position];
                if ((length & 0xC0) == 0xC0)
                {
                    Require(message, position, 2);
                    int target = ((length & 0x3F) << 8) | message[position + 1];
                    if (target >= position) throw new WireFormatException("DNS compression pointer does not point backwards.");
                    if (++jumps > MaxPointerJumps) throw new WireFormatException("Too many DNS compression pointers.");
                    if (!jumped)
                    {
                        offset = position + 2;
                        jumped = true;
                    }
                    position = target;
                    continue;
                }
                if ((length & 0xC0) != 0) throw new WireFormatException("Reserved DNS label type.");
                if (length == 0)
                {
                    if (!jumped) offset = position + 1;
                    break;
                }

                Require(message, position + 1, length);
                wireLength += length + 1;
                if (wireLength > DnsQueryBuilder.MaxNameLength) throw new WireFormatException("DNS name longer than 255 bytes.");
                if (name.Length > 0) name.Append('.');
                name.Append(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
                position += 1 + length;
            }
            return name.Length == 0 ? "." : name.ToString();
        }

        private static DnsRecord ReadRecord(ReadOnlySpan<byte> message, ref int offset)
        {
            string name = ReadName(message, ref offset);
            Require(message, offset, 10);
            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message.Slice(offset));
            ushort cls = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(offset + 2));
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(message.Slice(offset + 4));
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(offset + 8));
            offset += 10;
            Require(message, offset, dataLength);
            int dataStart = offset;
            int dataEnd = offset + dataLength;
            offset = dataEnd;

            ReadOnlySpan<byte> rdata = message.Slice(dataStart, dataLength);
            object? data = type switch
            {
                DnsRecordType.A => rdata.Length == 4 ? new IPAddress(rdata) : throw new WireFormatException("A record is not 4 bytes."),
                DnsRecordType.AAAA => rdata.Length == 16 ? new IPAddress(rdata) : throw new WireFormatException("AAAA record is not 16 bytes."),
                DnsRecordType.CNAME or DnsRecordType.NS or DnsRecordType.PTR => ReadNameWithin(message, dataStart, dataEnd),
                DnsRecordType.MX => ReadMx(message, dataStart, dataEnd),
                DnsRecordType.SRV => ReadSrv(message, dataStart, dataEnd),
                DnsRecordType.TXT => ReadTxt(rdata),
                _ => rdata.ToArray(),
            };
            return new DnsRecord(name, type, cls, ttl, data);
        }

        private static string ReadNameWithin(ReadOnlySpan<byte> message, int start, int end)
        {
            int cursor = start;
            string name = ReadName(message, ref cursor);
            if (cursor > end) throw new WireFormatException("Name runs past its record data.");
            return name;
        }

        private static MxData ReadMx(ReadOnlySpan<byte> message, int start, int end)
        {
            if (end - start < 3) throw new WireFormatException("MX record too short.");
            ushort preference = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(start));
            return new MxData(preference, ReadNameWithin(message, start + 2, end));
        }

        private static SrvData ReadSrv(ReadOnlySpan<byte> message, int start, int end)
        {
            if (end - start < 7) throw new WireFormatException("SRV record too short.");
            ushort priority = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(start));
            ushort weight = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(start + 2));
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(start + 4));
            return new SrvData(priority, weight, port, ReadNameWithin(message, start + 6, end));
        }

        private static string[] ReadTxt(ReadOnlySpan<byte> rdata)
        {
            var strings = new List<string>();
            int position = 0;
            while (position < rdata.Length)
            {
                int length = rdata[position];
                if (length > rdata.Length - position - 1) throw new WireFormatException("TXT string runs past its record.");
                strings.Add(Encoding.UTF8.GetString(rdata.Slice(position + 1, length)));
                position += 1 + length;
            }
            return strings.ToArray();
        }
    }

    /// <summary>
    /// A stub resolver bound to one server. It keeps one connected UDP socket for all queries and, for truncated
    /// answers, one TCP connection that is opened on first need and reused until it fails.
    /// </summary>
    public sealed class DnsClient : IDisposable
    {
        private const int MaxUdpResponse = 4096;
        private const int Attempts = 3;

        private readonly IPEndPoint _server;
        private readonly Socket _udp;
        private readonly SemaphoreSlim _udpGate = new SemaphoreSlim(1, 1);
        private readonly SemaphoreSlim _tcpGate = new SemaphoreSlim(1, 1);
        private readonly TimeSpan _timeout;
        private NetworkStream? _tcp;

        public DnsClient(IPAddress server) : this(new IPEndPoint(server, 53), TimeSpan.FromSeconds(2))
        {
        }

        public DnsClient(IPEndPoint server, TimeSpan timeout)
        {
            _server = server;
            _timeout = timeout;
            _udp = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                // Connecting a UDP socket fixes the peer: datagrams from any other address are dropped by the kernel.
                _udp.Connect(server);
            }
            catch
            {
                _udp.Dispose();
                throw;
            }
        }

        public async Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            string asciiName = DnsQueryBuilder.ToAscii(name);
            int querySize = DnsQueryBuilder.GetQuerySize(asciiName);
            byte[] query = ArrayPool<byte>.Shared.Rent(querySize);
            byte[] response = ArrayPool<byte>.Shared.Rent(MaxUdpResponse);
            await _udpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                for (int attempt = 1; attempt <= Attempts; attempt++)
                {
                    ushort id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
                    int length = DnsQueryBuilder.WriteQuery(query, id, asciiName, type);
                    int sent = await _udp.SendAsync(query.AsMemory(0, length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    if (sent != length) throw new IOException($"Only {sent} of {length} query bytes were sent.");

                    DnsResponse? answer = await ReceiveMatchingAsync(response, id, asciiName, type, cancellationToken).ConfigureAwait(false);
                    if (answer is null) continue; // timed out; retry with a fresh id
                    if (answer.Header.IsTruncated)
                    {
                        return await QueryOverTcpAsync(asciiName, type, cancellationToken).ConfigureAwait(false);
                    }
                    return answer;
                }
                throw new TimeoutException($"No answer from {_server} for {asciiName} after {Attempts} attempts.");
            }
            finally
            {
                _udpGate.Release();
                ArrayPool<byte>.Shared.Return(response);
                ArrayPool<byte>.Shared.Return(query);
            }
        }

        private async Task<DnsResponse?> ReceiveMatchingAsync(byte[] buffer, ushort id, string asciiName, DnsRecordType type, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            while (true)
            {
                int received;
                try
                {
                    received = await _udp.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return null;
                }

                DnsResponse candidate;
                try
                {
                    candidate = DnsMessageParser.Parse(buffer.AsSpan(0, received));
                }
                catch (WireFormatException)
                {
                    continue; // garbage or a spoofing attempt; keep waiting for the real answer
                }
                if (IsAnswerTo(candidate, id, asciiName, type)) return candidate;
            }
        }

        private static bool IsAnswerTo(DnsResponse response, ushort id, string asciiName, DnsRecordType type)
        {
            if (!response.Header.IsResponse || response.Header.Id != id || response.Questions.Count != 1) return false;
            DnsQuestion question = response.Questions[0];
            string expected = asciiName.Length == 0 ? "." : asciiName;
            return question.Type == type
                && question.Class == DnsQueryBuilder.ClassInternet
                && string.Equals(question.Name, expected, StringComparison.OrdinalIgnoreCase);
        }

        private async Task<DnsResponse> QueryOverTcpAsync(string asciiName, DnsRecordType type, CancellationToken cancellationToken)
        {
            await _tcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool reused = _tcp is not null;
                try
                {
                    return await ExchangeOverTcpAsync(asciiName, type, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (reused)
                {
                    // Servers close idle TCP connections; a reused one may be stale. Retry once on a fresh one.
                    _tcp?.Dispose();
                    _tcp = null;
                    return await ExchangeOverTcpAsync(asciiName, type, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _tcp?.Dispose();
                _tcp = null;
                throw;
            }
            finally
            {
                _tcpGate.Release();
            }
        }

        private async Task<DnsResponse> ExchangeOverTcpAsync(string asciiName, DnsRecordType type, CancellationToken cancellationToken)
        {
            if (_tcp is null)
            {
                Socket socket = await SocketIO.ConnectTcpAsync(_server.Address.ToString(), _server.Port, _timeout, cancellationToken).ConfigureAwait(false);
                _tcp = new NetworkStream(socket, ownsSocket: true);
            }

            ushort id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
            int querySize = DnsQueryBuilder.GetQuerySize(asciiName);
            byte[] framed = new byte[2 + querySize];
            int length = DnsQueryBuilder.WriteQuery(framed.AsSpan(2), id, asciiName, type);
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)length);
            await _tcp.WriteAsync(framed.AsMemory(0, 2 + length), cancellationToken).ConfigureAwait(false);

            byte[] prefix = new byte[2];
            await SocketIO.ReadExactlyAsync(_tcp, prefix, cancellationToken).ConfigureAwait(false);
            int responseLength = BinaryPrimitives.ReadUInt16BigEndian(prefix);
            byte[] message = new byte[responseLength];
            await SocketIO.ReadExactlyAsync(_tcp, message, cancellationToken).ConfigureAwait(false);

            DnsResponse response = DnsMessageParser.Parse(message);
            if (!IsAnswerTo(response, id, asciiName, type)) throw new WireFormatException("TCP answer does not match the query.");
            return response;
        }

        public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken = default)
        {
            var addresses = new List<IPAddress>();
            foreach (DnsRecordType type in new[] { DnsRecordType.A, DnsRecordType.AAAA })
            {
                DnsResponse response = await QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
                if (response.Header.ResponseCode == DnsResponseCode.NameError) break;
                foreach (DnsRecord record in response.Answers)
                {
                    if (record.Data is IPAddress address) addresses.Add(address);
                }
            }
            return addresses;
        }

        /// <summary>Resolves a service and returns its endpoints ordered by priority (lowest first), then weight.</summary>
        public async Task<IReadOnlyList<DnsEndPoint>> ResolveServiceAsync(string service, CancellationToken cancellationToken = default)
        {
            DnsResponse response = await QueryAsync(service, DnsRecordType.SRV, cancellationToken).ConfigureAwait(false);
            var records = new List<SrvData>();
            foreach (DnsRecord record in response.Answers)
            {
                if (record.Data is SrvData srv && srv.Target != ".") records.Add(srv);
            }
            records.Sort(static (a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : b.Weight.CompareTo(a.Weight));
            var endPoints = new List<DnsEndPoint>(records.Count);
            foreach (SrvData srv in records) endPoints.Add(srv.ToEndPoint());
            return endPoints;
        }

        public void Dispose()
        {
            _udp.Dispose();
            _tcp?.Dispose();
            _udpGate.Dispose();
            _tcpGate.Dispose();
        }
    }
}
