using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>A TCP listener on 127.0.0.1 that records the bytes of every connection it accepts.</summary>
public sealed class LoopbackPeer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly List<byte[]> payloads = [];
    private readonly Task acceptLoop;

    private LoopbackPeer(TcpListener listener)
    {
        this.listener = listener;
        acceptLoop = AcceptAsync();
    }

    public ushort Port => (ushort)((IPEndPoint)listener.LocalEndpoint).Port;

    public IReadOnlyList<byte[]> Payloads
    {
        get { lock (payloads) { return payloads.ToList(); } }
    }

    /// <summary>A peer on an ephemeral port (never a fixed one).</summary>
    public static LoopbackPeer Start() => TryStart(0) ?? throw new InvalidOperationException("no ephemeral loopback port");

    /// <summary>A peer on <paramref name="port"/>, or null when that port is taken.</summary>
    public static LoopbackPeer? TryStart(ushort port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
        }
        catch (SocketException)
        {
            return null;
        }

        return new LoopbackPeer(listener);
    }

    /// <summary>
    /// Two peers: one on an ephemeral port p, one on p with its bytes swapped (where a host-order port stored in
    /// sin_port connects on a little-endian machine).
    /// </summary>
    public static (LoopbackPeer Right, LoopbackPeer Swapped) StartPair()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var right = Start();
            var swapped = BinaryPrimitives.ReverseEndianness(right.Port);
            if (swapped != right.Port && swapped >= 1024 && TryStart(swapped) is { } wrong)
            {
                return (right, wrong);
            }

            right.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        throw new InvalidOperationException("no pair of free ports p / byte-swapped p on loopback");
    }

    /// <summary>Waits until <paramref name="count"/> connections have been read to their end, or the timeout.</summary>
    public async Task<IReadOnlyList<byte[]>> WaitForPayloadsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && Payloads.Count < count)
        {
            await Task.Delay(50);
        }

        return Payloads;
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try { await acceptLoop; } catch (Exception) { }
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            using (client)
            {
                var received = new MemoryStream();
                var buffer = new byte[4096];
                using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                readTimeout.CancelAfter(TimeSpan.FromSeconds(20));
                try
                {
                    int n;
                    while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, readTimeout.Token)) > 0)
                    {
                        received.Write(buffer, 0, n);
                    }
                }
                catch (Exception) when (readTimeout.IsCancellationRequested)
                {
                }
                catch (SocketException)
                {
                }

                lock (payloads)
                {
                    payloads.Add(received.ToArray());
                }
            }
        }
    }
}
