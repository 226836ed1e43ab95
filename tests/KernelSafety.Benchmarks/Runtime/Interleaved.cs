namespace KernelSafety.Benchmarks.Runtime;

/// <summary>
/// Interleaved A/B measurement: for each size, many rounds, each round a short timed window of every write path in
/// turn (the order rotates), so drift on the machine (other processes, frequency, the peer's scheduling) hits every
/// path alike. Reports, per path, the median over rounds of its throughput relative to the raw loop in the same round,
/// with the quartiles, and the allocations per write. Usage: <c>runtime --ab [--rounds N] [--window-ms N]</c>.
/// </summary>
public static class Interleaved
{
    public static int Run(string[] args)
    {
        var rounds = 41;
        var window = TimeSpan.FromMilliseconds(30);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--ab":
                    break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                case "--window-ms" when i + 1 < args.Length && int.TryParse(args[i + 1], out var ms) && ms > 0:
                    window = TimeSpan.FromMilliseconds(ms);
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"error: unknown or invalid argument '{args[i]}' (runtime --ab [--rounds N] [--window-ms N])");
                    return 2;
            }
        }

        using var paths = new WritePaths();
        Console.WriteLine($"runtime A/B: loopback, {Environment.ProcessorCount} cores, {rounds} rounds of {window.TotalMilliseconds:0} ms windows per path and size, order rotating");
        Console.WriteLine($"{"Size",6} | {"Path",-31} | {"msg/s",10} | {"MB/s",8} | {"vs raw (median)",15} | {"quartiles",13} | {"B/write",7}");
        Console.WriteLine(new string('-', 107));

        foreach (var size in new[] { 80, 4096, 65536 })
        {
            var buffer = new byte[size];
            new Random(42).NextBytes(buffer);
            ReadOnlyMemory<byte> memory = buffer;
            const int device = 1, coalescing = 3, connectPerWrite = 4;
            var candidates = new (string Name, Func<int> Write, TimeSpan Window, Action? EndOfWindow)[]
            {
                ("raw Socket.Send loop", () => paths.RawSend(buffer), window, null),
                ("SocketDevice.Write", () => paths.DeviceWrite(buffer), window, null),
                ("SocketDevice.WriteAsync", () => WriteTiming.Wait(paths.DeviceWriteAsync(memory)), window, null),
                ("SocketDevice.Write (coalescing)", () => paths.CoalescingWrite(buffer), window, paths.CoalescingFlush), // Flush ends each window, timed
                ("connect-per-write (listing)", () => paths.ConnectPerWrite(buffer), window / 3, null), // fewer connections: TIME_WAIT ports
            };

            var results = candidates.Select(_ => new List<WriteTiming.Result>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < candidates.Length; k++)
                {
                    var index = (k + round) % candidates.Length;
                    var candidate = candidates[index];
                    results[index].Add(WriteTiming.Measure(candidate.Write, candidate.Window, candidate.EndOfWindow));
                }
            }

            for (var k = 0; k < candidates.Length; k++)
            {
                var ratios = Enumerable.Range(0, rounds).Select(round => results[k][round].PerSecond / results[0][round].PerSecond).Order().ToArray();
                var rates = results[k].Select(r => r.PerSecond).Order().ToArray();
                var allocated = results[k].Average(r => r.AllocatedPerWrite);
                Console.WriteLine(
                    $"{size,6} | {candidates[k].Name,-31} | {Median(rates),10:N0} | {Median(rates) * size / 1e6,8:N1} | {Median(ratios),15:0.000} | {Quantile(ratios, 0.25),5:0.000}-{Quantile(ratios, 0.75),5:0.000} | {allocated,7:0.#}");
            }

            foreach (var k in new[] { device, coalescing })
            {
                var perWrite = Enumerable.Range(0, rounds).Select(round => results[k][round].PerSecond / results[connectPerWrite][round].PerSecond).Order().ToArray();
                Console.WriteLine($"{"",6} | {candidates[k].Name} vs connect-per-write: {Median(perWrite):0.0}x (quartiles {Quantile(perWrite, 0.25):0.0}-{Quantile(perWrite, 0.75):0.0})");
            }
        }

        Console.WriteLine($"drain server received {paths.Server.BytesReceived:N0} bytes");
        return 0;
    }

    private static double Median(double[] sorted) => Quantile(sorted, 0.5);

    private static double Quantile(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
}
