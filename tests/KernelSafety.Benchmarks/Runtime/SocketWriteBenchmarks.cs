using BenchmarkDotNet.Attributes;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>One write per operation to an in-process loopback drain server.</summary>
[MemoryDiagnoser]
public class SocketWriteBenchmarks
{
    private WritePaths _paths = null!;
    private byte[] _buffer = [];
    private ReadOnlyMemory<byte> _memory;

    /// <summary>Writes per Flush in the coalescing benchmark.</summary>
    public const int CoalescingBatch = 64;

    [Params(80, 4096, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _paths = new WritePaths();
        _buffer = new byte[Size];
        new Random(42).NextBytes(_buffer);
        _memory = _buffer;
        _paths.DeviceWrite(_buffer); // connect outside the measurement
    }

    [GlobalCleanup]
    public void Cleanup() => _paths.Dispose();

    [Benchmark(Baseline = true, Description = "raw Socket.Send loop")]
    public int RawSocketSend() => _paths.RawSend(_buffer);

    [Benchmark(Description = "SocketDevice.Write")]
    public int SocketDeviceWrite() => _paths.DeviceWrite(_buffer);

    [Benchmark(Description = "SocketDevice.WriteAsync")]
    public ValueTask<int> SocketDeviceWriteAsync() => _paths.DeviceWriteAsync(_memory);

    /// <summary>Coalescing device: each invocation is <see cref="CoalescingBatch"/> writes and a Flush, so every byte
    /// is counted only once it was sent; BenchmarkDotNet divides by the batch (time per write, flush included).</summary>
    [Benchmark(Description = "SocketDevice.Write (coalescing)", OperationsPerInvoke = CoalescingBatch)]
    public int SocketDeviceWriteCoalescing()
    {
        int total = 0;
        for (int i = 0; i < CoalescingBatch; i++)
        {
            total += _paths.CoalescingWrite(_buffer);
        }

        _paths.CoalescingFlush();
        return total;
    }

    [Benchmark(Description = "connect-per-write (listing)")]
    public int ConnectPerWrite() => _paths.ConnectPerWrite(_buffer);
}
