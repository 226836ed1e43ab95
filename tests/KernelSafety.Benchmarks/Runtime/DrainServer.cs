using System.Net;
using System.Net.Sockets;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>An in-process loopback peer that reads and discards everything (accept loop on a background thread; reader threads for long-lived connections, async readers for short ones).</summary>
public sealed class DrainServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _acceptThread;
    private readonly int _dedicatedReaders;
    private long _bytes;
    private int _accepted;
    private volatile bool _stopped;

    /// <param name="dedicatedReaders">How many of the first connections get a reader thread of their own.</param>
    /// <param name="receiveBufferSize">The accepted connections' kernel receive buffer (set on the listener, which they inherit); 0 leaves it to the OS.</param>
    public DrainServer(int dedicatedReaders = 2, int receiveBufferSize = 0)
    {
        _dedicatedReaders = dedicatedReaders;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferSize > 0)
        {
            _listener.ReceiveBufferSize = receiveBufferSize;
        }

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

            if (Interlocked.Increment(ref _accepted) <= _dedicatedReaders)
            {
                // Long-lived connections (the raw loop's and the device's): a reader thread of their own, which
                // allocates nothing and leaves the thread pool to the writers' async completions.
                new Thread(() => Drain(connection)) { IsBackground = true, Name = "drain" }.Start();
            }
            else
            {
                _ = DrainAsync(connection); // short connections (connect-per-write): no thread per connection
            }
        }
    }

    private void Drain(Socket connection)
    {
        byte[] buffer = new byte[256 * 1024];
        using (connection)
        {
            try
            {
                int n;
                while ((n = connection.Receive(buffer)) > 0)
                {
                    Interlocked.Add(ref _bytes, n);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
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
