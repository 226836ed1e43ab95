using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using KernelSafety.Runtime;

namespace DeviceBridge;

/// <summary>The TCP peer of the listing (127.0.0.1:2001): accepts connections and reports every message that arrives.</summary>
internal sealed class Peer : IDisposable
{
    private readonly Socket _listener;
    private readonly SocketDeviceFraming _framing;
    private readonly int _recordSize;
    private readonly Action<int, byte[]> _onMessage;
    private readonly Action<string> _log;
    private int _connections;

    public Peer(IPAddress address, int port, SocketDeviceFraming framing, int recordSize, Action<int, byte[]> onMessage, Action<string> log)
    {
        _framing = framing;
        _recordSize = recordSize;
        _onMessage = onMessage;
        _log = log;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, port));
        _listener.Listen(16);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public async Task RunAsync(CancellationToken token)
    {
        var connections = new List<Task>();
        try
        {
            while (!token.IsCancellationRequested)
            {
                Socket socket = await _listener.AcceptAsync(token);
                int id = Interlocked.Increment(ref _connections);
                _log($"connection {id} from {socket.RemoteEndPoint}");
                connections.Add(Task.Run(() => ReceiveAsync(socket, id, token), token));
            }
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            await Task.WhenAll(connections);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task ReceiveAsync(Socket socket, int id, CancellationToken token)
    {
        using (socket)
        {
            var pending = new List<byte>();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                {
                    total += n;
                    if (_framing == SocketDeviceFraming.Raw)
                    {
                        _onMessage(id, buffer.AsSpan(0, n).ToArray());
                        continue;
                    }

                    pending.AddRange(buffer.AsSpan(0, n));
                    Drain(pending, id);
                }
            }
            catch (SocketException ex)
            {
                _log($"connection {id}: {ex.SocketErrorCode}");
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _log($"connection {id} closed after {total} byte(s)" + (pending.Count > 0 ? $" ({pending.Count} byte(s) of an incomplete message)" : ""));
        }
    }

    private void Drain(List<byte> pending, int id)
    {
        while (true)
        {
            if (_framing == SocketDeviceFraming.LengthPrefixed)
            {
                if (pending.Count < 4)
                {
                    return;
                }

                long length = BinaryPrimitives.ReadUInt32BigEndian(CollectionsMarshal.AsSpan(pending)[..4]);
                if (pending.Count - 4 < length)
                {
                    return;
                }

                _onMessage(id, pending.GetRange(4, (int)length).ToArray());
                pending.RemoveRange(0, 4 + (int)length);
            }
            else
            {
                if (pending.Count < _recordSize)
                {
                    return;
                }

                _onMessage(id, pending.GetRange(0, _recordSize).ToArray());
                pending.RemoveRange(0, _recordSize);
            }
        }
    }

    /// <summary>Printable form: text as is, \n \r \t \0 escaped, other bytes as \xNN.</summary>
    public static string Escape(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder(data.Length + 8);
        foreach (byte b in data)
        {
            text.Append(b switch
            {
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                (byte)'\t' => "\\t",
                (byte)'\\' => "\\\\",
                (byte)'"' => "\\\"",
                0 => "\\0",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        }

        return text.ToString();
    }

    /// <summary>For fixed records: the record without its zero padding, and how many padding bytes there were.</summary>
    public static (byte[] Data, int Padding) TrimPadding(byte[] record)
    {
        int end = record.Length;
        while (end > 0 && record[end - 1] == 0)
        {
            end--;
        }

        return (record[..end], record.Length - end);
    }
}
