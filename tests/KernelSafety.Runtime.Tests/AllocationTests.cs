using System.Net.Sockets;

namespace KernelSafety.Runtime.Tests;

[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection
{
}

/// <summary>Runs alone (no other test allocates meanwhile), so process-wide allocation counts measure the device.</summary>
[Collection(nameof(AllocationCollection))]
public class AllocationTests
{
    [Theory(Timeout = 20_000)]
    [InlineData(SocketDeviceFraming.Raw, 80)]
    [InlineData(SocketDeviceFraming.Raw, 65536)]
    [InlineData(SocketDeviceFraming.LengthPrefixed, 4096)]
    [InlineData(SocketDeviceFraming.LengthPrefixed, 65536)]
    [InlineData(SocketDeviceFraming.FixedRecord, 50)]
    public async Task Steady_state_writes_allocate_nothing(SocketDeviceFraming framing, int size)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var peer = new LoopbackPeer();
        var device = new SocketDevice(peer.Options(framing));
        var accept = peer.AcceptAsync(cts.Token);
        byte[] msg = new byte[size];
        device.Write(msg);
        using Socket conn = await accept;

        // A drain thread with one buffer: allocates nothing while it runs.
        var drain = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (conn.Receive(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
        }) { IsBackground = true };
        drain.Start();

        const int count = 2000;
        await Task.Run(async () =>
        {
            for (int i = 0; i < 300; i++)
            {
                device.Write(msg);
                await device.WriteAsync(msg, cts.Token);
            }
        });

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            device.Write(msg);
        }

        long syncAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

        ReadOnlyMemory<byte> memory = msg;
        long asyncAllocated = await Task.Run(async () =>
        {
            long start = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < count; i++)
            {
                await device.WriteAsync(memory, cts.Token);
            }

            return GC.GetTotalAllocatedBytes(precise: true) - start;
        });

        device.Dispose();
        Assert.True(drain.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, syncAllocated);
        // Process-wide count: allow one-off allocations (the measuring state machine, thread-pool growth), not per-write ones.
        Assert.True(asyncAllocated < count, $"{framing}/{size}: WriteAsync allocated {asyncAllocated} bytes over {count} writes");
    }
}
