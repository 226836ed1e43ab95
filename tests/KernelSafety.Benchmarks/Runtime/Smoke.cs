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
        Console.WriteLine($"{"Size",6} | {"Path",-31} | {"msg/s",10} | {"MB/s",8} | {"vs raw",7} | {"B/write",7}");
        Console.WriteLine(new string('-', 85));
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
            WriteTiming.Wait(paths.DeviceWriteAsync(warmMemory));
            paths.CoalescingWrite(warm);
        }

        paths.CoalescingFlush();

        foreach (int size in sizes)
        {
            byte[] buffer = new byte[size];
            ReadOnlyMemory<byte> memory = buffer;
            var raw = WriteTiming.Measure(() => paths.RawSend(buffer), perMeasurement);
            var device = WriteTiming.Measure(() => paths.DeviceWrite(buffer), perMeasurement);
            var deviceAsync = WriteTiming.Measure(() => WriteTiming.Wait(paths.DeviceWriteAsync(memory)), perMeasurement);
            var coalescing = WriteTiming.Measure(() => paths.CoalescingWrite(buffer), perMeasurement, paths.CoalescingFlush); // ends with a timed Flush
            var perWrite = WriteTiming.Measure(() => paths.ConnectPerWrite(buffer), perMeasurement / 2);
            Print(size, "raw Socket.Send loop", raw, raw);
            Print(size, "SocketDevice.Write", device, raw);
            Print(size, "SocketDevice.WriteAsync", deviceAsync, raw);
            Print(size, "SocketDevice.Write (coalescing)", coalescing, raw);
            Print(size, "connect-per-write (listing)", perWrite, raw);
            Console.WriteLine($"{"",6} | SocketDevice vs connect-per-write: {device.PerSecond / perWrite.PerSecond:0.0}x, coalescing: {coalescing.PerSecond / perWrite.PerSecond:0.0}x");
            ok &= device.Writes > 0 && perWrite.Writes > 0 && coalescing.Writes > 0;
        }

        Console.WriteLine($"drain server received {paths.Server.BytesReceived:N0} bytes");
        Console.WriteLine(ok ? "smoke: OK" : "smoke: FAILED");
        return ok ? 0 : 1;
    }

    private static void Print(int size, string path, WriteTiming.Result r, WriteTiming.Result baseline) =>
        Console.WriteLine($"{size,6} | {path,-31} | {r.PerSecond,10:N0} | {r.PerSecond * size / 1e6,8:N1} | {r.PerSecond / baseline.PerSecond,7:0.00} | {r.AllocatedPerWrite,7:0.#}");
}
