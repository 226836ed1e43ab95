using KernelSafety.Runtime;

namespace DeviceBridge;

/// <summary>
/// The listing's device_write(), in user space: every write into the FIFO is forwarded through one persistent
/// <see cref="SocketDevice"/> connection, with exactly the bytes that were written.
/// </summary>
internal sealed class Bridge
{
    private readonly string _fifo;
    private readonly SocketDevice _device;
    private readonly Action<string> _log;

    public Bridge(string fifo, SocketDevice device, Action<string> log)
    {
        _fifo = fifo;
        _device = device;
        _log = log;
    }

    public long BytesForwarded { get; private set; }

    public long BytesDropped { get; private set; }

    /// <summary>Runs until <paramref name="token"/> is cancelled (then call <see cref="Fifo.Poke"/> to wake a blocked open).</summary>
    public void Run(CancellationToken token)
    {
        byte[] buffer = new byte[4096];
        while (!token.IsCancellationRequested)
        {
            // open(2) blocks until a writer opens the FIFO (e.g. `echo hi > device`); EOF when the last writer closes.
            using var stream = new FileStream(_fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            if (token.IsCancellationRequested)
            {
                break;
            }

            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                Forward(buffer.AsSpan(0, n)); // exactly the n bytes read, never the whole buffer
            }

            if (_device.IsCoalescing)
            {
                Flush(); // the writer closed the device: send what is buffered now rather than after CoalesceDelay
            }
        }
    }

    private void Flush()
    {
        try
        {
            _device.Flush();
        }
        catch (SocketDeviceException ex)
        {
            Lost(ex);
        }
    }

    /// <summary>With coalescing, bytes of earlier writes that were accepted (counted as forwarded) but never delivered.</summary>
    private void Lost(SocketDeviceException ex)
    {
        if (ex.BufferedBytesLost > 0)
        {
            BytesForwarded -= ex.BufferedBytesLost;
            BytesDropped += ex.BufferedBytesLost;
            _log($"error: {ex.Message} [{ex.SocketError}]; {ex.BufferedBytesLost} buffered byte(s) of earlier writes dropped");
        }
    }

    private void Forward(ReadOnlySpan<byte> data)
    {
        try
        {
            int sent = _device.Write(data);
            BytesForwarded += sent;
            _log(_device.IsCoalescing ? $"accepted {sent} byte(s) for {_device.RemoteEndPoint}" : $"forwarded {sent} byte(s) to {_device.RemoteEndPoint}");
        }
        catch (SocketDeviceException ex)
        {
            Lost(ex);
            BytesForwarded += ex.BytesWritten;
            BytesDropped += data.Length - ex.BytesWritten;
            _log($"error: {ex.Message} [{ex.SocketError}]; {data.Length - ex.BytesWritten} byte(s) of this write dropped");
        }
    }
}
