namespace KernelSafety.Runtime;

/// <summary>
/// Marks a field, property or parameter whose value is a port (or other 16/32-bit quantity) in
/// <em>network</em> byte order (big-endian), like <c>sin_port</c>. The KernelSafety analyzers (KS0003)
/// flag a host-order value stored into such a location, and a value read from it passed where host order is expected.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.ReturnValue,
    AllowMultiple = false, Inherited = true)]
public sealed class NetworkByteOrderAttribute : Attribute
{
}
