using System.Diagnostics;

namespace KernelSafety.Benchmarks.Runtime;

/// <summary>
/// A quick timed harness (a few hundred ms): the same write paths as the BenchmarkDotNet suite, measured against the
/// raw-loop baseline in the same process. Proves the harness runs; the numbers are indicative only.
/// </summary>
public static class Smoke
{
    public static int Run(TimeSpan perMeasurement)
    {
        int[] sizes = [80, 4096, 65536];
        using var paths = new WritePaths();
        Console.WriteLine($"runtime smoke: loopback, {Environment.ProcessorCount} cores, {perMeasurement.TotalMilliseconds:0} ms per measurement");
        Console.WriteLine($"{"Size",6} | {"Path",-28} | {"msg/s",10} | {"MB/s",8} | {"vs raw",7} | {"B/write",7}");
        Console.WriteLine(new string('-', 82));
        bool ok = true;

        // Warm up long enough for tiered JIT to promote the device's code (framework code is precompiled), otherwise
        // the short windows below would compare tier-0 SocketDevice code with optimized Socket.Send.
        byte[] warm = new byte[80];
        ReadOnlyMemory<byte> warmMemory = warm;
        var warmup = Stopwatch.StartNew();
        while (warmup.ElapsedMilliseconds < 250)
        {
            paths.RawSend(warm);
            paths.DeviceWrite(warm);
            Wait(paths.DeviceWriteAsync(warmMemory));
        }

        foreach (int size in sizes)
        {
            byte[] buffer = new byte[size];
            ReadOnlyMemory<byte> memory = buffer;
            var raw = Measure(() => paths.RawSend(buffer), perMeasurement);
            var device = Measure(() => paths.DeviceWrite(buffer), perMeasurement);
            var deviceAsync = Measure(() => Wait(paths.DeviceWriteAsync(memory)), perMeasurement);
            var perWrite = Measure(() => paths.ConnectPerWrite(buffer), perMeasurement / 2);
            Print(size, "raw Socket.Send loop", raw, raw);
            Print(size, "SocketDevice.Write", device, raw);
            Print(size, "SocketDevice.WriteAsync", deviceAsync, raw);
            Print(size, "connect-per-write (listing)", perWrite, raw);
            Console.WriteLine($"{"",6} | SocketDevice vs connect-per-write: {device.PerSecond / perWrite.PerSecond:0.0}x");
            ok &= device.Writes > 0 && perWrite.Writes > 0;
        }

        Console.WriteLine($"drain server received {paths.Server.BytesReceived:N0} bytes");
        Console.WriteLine(ok ? "smoke: OK" : "smoke: FAILED");
        return ok ? 0 : 1;
    }

    private static readonly ManualResetEventSlim s_completed = new();
    private static readonly Action s_signal = s_completed.Set;

    /// <summary>Blocks on a ValueTask without allocating (no AsTask), so B/write shows the device's own allocations.</summary>
    private static int Wait(ValueTask<int> pending)
    {
        if (!pending.IsCompleted)
        {
            s_completed.Reset();
            pending.GetAwaiter().UnsafeOnCompleted(s_signal);
            s_completed.Wait();
        }

        return pending.GetAwaiter().GetResult();
    }

    private static void Print(int size, string path, Result r, Result baseline) =>
        Console.WriteLine($"{size,6} | {path,-28} | {r.PerSecond,10:N0} | {r.PerSecond * size / 1e6,8:N1} | {r.PerSecond / baseline.PerSecond,7:0.00} | {r.AllocatedPerWrite,7:0.#}");

    private static Result Measure(Func<int> write, TimeSpan duration)
    {
        for (int i = 0; i < 50; i++)
        {
            write(); // warm up (JIT, connection)
        }

        long writes = 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            for (int i = 0; i < 16; i++)
            {
                write();
            }

            writes += 16;
        }

        watch.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return new Result(writes, writes / watch.Elapsed.TotalSeconds, (double)allocated / writes);
    }

    private readonly record struct Result(long Writes, double PerSecond, double AllocatedPerWrite);
}
