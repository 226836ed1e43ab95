using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Quiet.Sockets.Telemetry;

internal static class GelfPayload
{
    public static void Write(IBufferWriter<byte> output, string host, string shortMessage, int level, IReadOnlyDictionary<string, string>? fields)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("version", "1.1");
        json.WriteString("host", host);
        json.WriteString("short_message", shortMessage);
        json.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        json.WriteNumber("level", level);
        if (fields is not null)
        {
            foreach (KeyValuePair<string, string> field in fields)
            {
                // GELF additional fields are prefixed with an underscore; "_id" is reserved.
                if (field.Key.Length == 0 || field.Key == "id")
                {
                    continue;
                }

                json.WriteString("_" + field.Key, field.Value);
            }
        }

        json.WriteEndObject();
    }
}

/// <summary>
/// GELF over UDP. Messages larger than one datagram are split into at most 128 chunks,
/// each with the 12-byte chunk header (magic, message id, sequence number, sequence count).
/// </summary>
public sealed class GelfUdpSender : IDisposable
{
    private const int ChunkHeaderSize = 12;
    private const int MaxChunks = 128;
    private const int MaxUdpPayload = 65507;

    private readonly Socket _socket;
    private readonly IPEndPoint _target;
    private readonly string _host;
    private readonly int _maxDatagram;
    private readonly int _chunkDataSize;
    private readonly bool _compress;

    public GelfUdpSender(IPEndPoint target, string host, int maxDatagramSize = 1420, bool compress = false)
    {
        if (maxDatagramSize <= ChunkHeaderSize || maxDatagramSize > MaxUdpPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDatagramSize));
        }

        _target = target ?? throw new ArgumentNullException(nameof(target));
        _host = host;
        _maxDatagram = maxDatagramSize;
        _chunkDataSize = maxDatagramSize - ChunkHeaderSize;
        _compress = compress;
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    }

    public void Send(string shortMessage, int level, IReadOnlyDictionary<string, string>? fields = null)
    {
        var json = new ArrayBufferWriter<byte>(512);
        GelfPayload.Write(json, _host, shortMessage, level, fields);
        if (!_compress)
        {
            SendPayload(json.WrittenSpan);
            return;
        }

        using var compressed = new MemoryStream(json.WrittenCount / 2 + 64);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json.WrittenSpan);
        }

        // GetBuffer exposes the capacity; only Length bytes are compressed data.
        byte[] raw = compressed.GetBuffer();
        SendPayload(raw.AsSpan(0, checked((int)compressed.Length)));
    }

    public void SendPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= _maxDatagram)
        {
            SendDatagram(payload);
            return;
        }

        int chunkCount = (payload.Length + _chunkDataSize - 1) / _chunkDataSize;
        if (chunkCount > MaxChunks)
        {
            throw new ArgumentException($"Message needs {chunkCount} chunks; GELF allows {MaxChunks}.", nameof(payload));
        }

        Span<byte> messageId = stackalloc byte[8];
        RandomNumberGenerator.Fill(messageId);

        byte[] datagram = ArrayPool<byte>.Shared.Rent(ChunkHeaderSize + _chunkDataSize);
        try
        {
            datagram[0] = 0x1e;
            datagram[1] = 0x0f;
            messageId.CopyTo(datagram.AsSpan(2, 8));
            datagram[11] = (byte)chunkCount;

            for (int sequence = 0; sequence < chunkCount; sequence++)
            {
                int offset = sequence * _chunkDataSize;
                int length = Math.Min(_chunkDataSize, payload.Length - offset);
                datagram[10] = (byte)sequence;
                payload.Slice(offset, length).CopyTo(datagram.AsSpan(ChunkHeaderSize));
                SendDatagram(datagram.AsSpan(0, ChunkHeaderSize + length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(datagram);
        }
    }

    private void SendDatagram(ReadOnlySpan<byte> datagram)
    {
        int sent = _socket.SendTo(datagram, SocketFlags.None, _target);
        if (sent != datagram.Length)
        {
            throw new IOException($"Datagram truncated: {sent} of {datagram.Length} bytes sent.");
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>
/// GELF over TCP: null-terminated JSON documents on one long-lived connection. If the
/// collector drops the connection, the next message reconnects once and is retried once.
/// </summary>
public sealed class GelfTcpSender : IDisposable
{
    private readonly string _collectorHost;
    private readonly int _collectorPort;
    private readonly string _host;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private TcpClient? _client;
    private NetworkStream? _stream;

    public GelfTcpSender(string collectorHost, int collectorPort, string host)
    {
        _collectorHost = collectorHost;
        _collectorPort = collectorPort;
        _host = host;
    }

    public async Task SendAsync(string shortMessage, int level, IReadOnlyDictionary<string, string>? fields = null, CancellationToken cancellationToken = default)
    {
        var document = new ArrayBufferWriter<byte>(512);
        GelfPayload.Write(document, _host, shortMessage, level, fields);
        document.Write([(byte)0]); // frame delimiter; JSON text never contains a raw NUL byte

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                NetworkStream stream = _stream ?? await ConnectAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await stream.WriteAsync(document.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (IOException) when (attempt == 0)
                {
                    // Stale connection (collector restarted). Reconnect and retry this one message.
                    Disconnect();
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<NetworkStream> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(_collectorHost, _collectorPort, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        _client = client;
        _stream = client.GetStream();
        return _stream;
    }

    private void Disconnect()
    {
        _stream = null;
        _client?.Dispose();
        _client = null;
    }

    public void Dispose()
    {
        Disconnect();
        _writeLock.Dispose();
    }
}
