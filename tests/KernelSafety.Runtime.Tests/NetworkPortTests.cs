using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace KernelSafety.Runtime.Tests;

public class NetworkPortTests
{
    [Fact(Timeout = 20_000)]
    public async Task Every_port_converts_correctly_on_this_endianness()
    {
        Span<byte> memory = stackalloc byte[2];
        for (int p = 0; p <= 65535; p++)
        {
            NetworkPort port = p;
            Assert.Equal(p, port.Value);
            Assert.Equal((ushort)p, port.HostOrder);

            ushort network = port.NetworkOrder;
            Assert.Equal(unchecked((ushort)IPAddress.HostToNetworkOrder(unchecked((short)p))), network);

            // In memory, a network-order value is big-endian: high byte first.
            MemoryMarshal.Write(memory, in network);
            Assert.Equal((byte)(p >> 8), memory[0]);
            Assert.Equal((byte)p, memory[1]);

            port.WriteBigEndian(memory);
            Assert.Equal((byte)(p >> 8), memory[0]);
            Assert.Equal((byte)p, memory[1]);
            Assert.Equal(port, NetworkPort.ReadBigEndian(memory));

            Assert.Equal(port, NetworkPort.FromNetworkOrder(network));
            Assert.Equal(port, NetworkPort.FromHostOrder((ushort)p));
            Assert.Equal(network, NetworkPort.HostToNetwork((ushort)p));
            Assert.Equal((ushort)p, NetworkPort.NetworkToHost(network));
            Assert.Equal(BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)p) : (ushort)p, network);
            Assert.Equal(p, (int)port);
            Assert.Equal(p != 0, port.IsValidDestination);
        }

        await Task.CompletedTask;
    }

    [Fact(Timeout = 10_000)]
    public async Task Out_of_range_and_parsing()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkPort(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkPort(65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => { NetworkPort p = int.MaxValue; _ = p; });
        Assert.Equal(new NetworkPort(2001), NetworkPort.Parse("2001"));
        Assert.Equal("2001", new NetworkPort(2001).ToString());
        Assert.False(NetworkPort.TryParse("65536", out _));
        Assert.False(NetworkPort.TryParse("-5", out _));
        Assert.False(NetworkPort.TryParse("x", out _));
        Assert.Throws<FormatException>(() => NetworkPort.Parse("abc"));
        Assert.True(new NetworkPort(1).CompareTo(new NetworkPort(2)) < 0);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 10_000)]
    public async Task Attribute_is_usable_on_fields_properties_parameters()
    {
        var usage = (AttributeUsageAttribute)Attribute.GetCustomAttribute(typeof(NetworkByteOrderAttribute), typeof(AttributeUsageAttribute))!;
        Assert.True(usage.ValidOn.HasFlag(AttributeTargets.Field));
        Assert.True(usage.ValidOn.HasFlag(AttributeTargets.Property));
        Assert.True(usage.ValidOn.HasFlag(AttributeTargets.Parameter));
        Assert.Equal("KernelSafety.Runtime.NetworkByteOrderAttribute", typeof(NetworkByteOrderAttribute).FullName);
        Assert.NotNull(typeof(NetworkPort).GetProperty(nameof(NetworkPort.NetworkOrder))!.GetCustomAttributes(typeof(NetworkByteOrderAttribute), false).SingleOrDefault());
        await Task.CompletedTask;
    }
}
