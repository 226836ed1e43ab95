using System.Buffers.Binary;
using System.Globalization;

namespace KernelSafety.Runtime;

/// <summary>
/// A TCP/UDP port, stored in host order (the number people write: 2001). The conversion to network
/// byte order happens in exactly one place, <see cref="NetworkOrder"/> / <see cref="WriteBigEndian"/>,
/// so code never has to remember whether a value was already swapped.
/// </summary>
public readonly struct NetworkPort : IEquatable<NetworkPort>, IComparable<NetworkPort>
{
    /// <summary>The largest port number, 65535.</summary>
    public const int MaxValue = ushort.MaxValue;

    private readonly ushort _hostOrder;

    /// <summary>Creates a port from its host-order number (0..65535).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0..65535.</exception>
    public NetworkPort(int port)
    {
        if ((uint)port > MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, $"A port must be in 0..{MaxValue}.");
        }

        _hostOrder = (ushort)port;
    }

    /// <summary>The port number in host order, as an <see cref="int"/> (what <see cref="System.Net.IPEndPoint"/> takes).</summary>
    public int Value => _hostOrder;

    /// <summary>The port number in host order.</summary>
    public ushort HostOrder => _hostOrder;

    /// <summary>The port in network byte order (big-endian in memory), ready for a <c>sin_port</c>-style field.</summary>
    [NetworkByteOrder]
    public ushort NetworkOrder => HostToNetwork(_hostOrder);

    /// <summary>True for a port a connection can be made to (1..65535); 0 means "any" and is only valid for binding.</summary>
    public bool IsValidDestination => _hostOrder != 0;

    /// <summary>Creates a port from its host-order value.</summary>
    public static NetworkPort FromHostOrder(ushort hostOrder) => new(hostOrder);

    /// <summary>Creates a port from a value in network byte order (for example a <c>sin_port</c> read back from native code).</summary>
    public static NetworkPort FromNetworkOrder([NetworkByteOrder] ushort networkOrder) => new(NetworkToHost(networkOrder));

    /// <summary>Reads a port written big-endian (network order) at the start of <paramref name="source"/>.</summary>
    public static NetworkPort ReadBigEndian(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt16BigEndian(source));

    /// <summary>Writes the port big-endian (network order) into the first two bytes of <paramref name="destination"/>.</summary>
    public void WriteBigEndian(Span<byte> destination) => BinaryPrimitives.WriteUInt16BigEndian(destination, _hostOrder);

    /// <summary>Converts a host-order 16-bit value to network order (the one place the swap happens).</summary>
    [return: NetworkByteOrder]
    public static ushort HostToNetwork(ushort hostOrder) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostOrder) : hostOrder;

    /// <summary>Converts a network-order 16-bit value to host order.</summary>
    public static ushort NetworkToHost([NetworkByteOrder] ushort networkOrder) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(networkOrder) : networkOrder;

    /// <summary>Parses a decimal port number (0..65535).</summary>
    public static NetworkPort Parse(string text) =>
        TryParse(text, out var port) ? port : throw new FormatException($"'{text}' is not a port number (0..{MaxValue}).");

    /// <summary>Tries to parse a decimal port number (0..65535).</summary>
    public static bool TryParse(string? text, out NetworkPort port)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value <= MaxValue)
        {
            port = new NetworkPort(value);
            return true;
        }

        port = default;
        return false;
    }

    /// <summary>A host-order port number becomes a <see cref="NetworkPort"/>; out-of-range values throw.</summary>
    public static implicit operator NetworkPort(int port) => new(port);

    /// <summary>The host-order port number.</summary>
    public static explicit operator int(NetworkPort port) => port._hostOrder;

    /// <inheritdoc />
    public bool Equals(NetworkPort other) => _hostOrder == other._hostOrder;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NetworkPort other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _hostOrder;

    /// <inheritdoc />
    public int CompareTo(NetworkPort other) => _hostOrder.CompareTo(other._hostOrder);

    /// <summary>Equality of two ports.</summary>
    public static bool operator ==(NetworkPort left, NetworkPort right) => left.Equals(right);

    /// <summary>Inequality of two ports.</summary>
    public static bool operator !=(NetworkPort left, NetworkPort right) => !left.Equals(right);

    /// <summary>The host-order number in decimal.</summary>
    public override string ToString() => _hostOrder.ToString(CultureInfo.InvariantCulture);
}
