using System.Net;
using System.Net.Sockets;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>An in-process loopback peer that reads and discards everything (accept loop on a background thread, async readers).</summary>
public sealed class DrainServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _acceptThread;
    private long _bytes;
    private volatile bool _stopped;

    public DrainServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "drain-accept" };
        _acceptThread.Start();
    }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public long BytesReceived => Interlocked.Read(ref _bytes);

    public void Dispose()
    {
        _stopped = true;
        _listener.Dispose();
        _acceptThread.Join(TimeSpan.FromSeconds(2));
    }

    private void AcceptLoop()
    {
        while (!_stopped)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = DrainAsync(connection);
        }
    }

    /// <summary>Asynchronous reads: no thread-pool thread is blocked, so the pool stays free for the writers' own
    /// async completions (blocking readers starved it on 2 cores and distorted the WriteAsync numbers).</summary>
    private async Task DrainAsync(Socket connection)
    {
        byte[] buffer = new byte[256 * 1024];
        using (connection)
        {
            try
            {
                int n;
                while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
                {
                    Interlocked.Add(ref _bytes, n);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
