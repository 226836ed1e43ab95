using System.Net;

namespace KernelSafety.Runtime;

/// <summary>How a <see cref="SocketDevice"/> delimits the writes it sends.</summary>
public enum SocketDeviceFraming
{
    /// <summary>The bytes of each write, as they are: a byte stream, no boundaries.</summary>
    Raw = 0,

    /// <summary>Each write is one message preceded by its length as a 4-byte big-endian unsigned integer.</summary>
    LengthPrefixed = 1,

    /// <summary>Each write is one record of exactly <see cref="SocketDeviceOptions.RecordSize"/> bytes, the tail zero-padded
    /// (for receivers that expect the listing's 80-byte records).</summary>
    FixedRecord = 2,
}

/// <summary>What a <see cref="SocketDevice"/> does with a write larger than its limit.</summary>
public enum OversizedWriteBehavior
{
    /// <summary>Throw <see cref="ArgumentOutOfRangeException"/> naming the limit; nothing is sent.</summary>
    Reject = 0,

    /// <summary>Send the write as several consecutive messages (records) of at most the limit each, without
    /// another writer's message between them. For <see cref="SocketDeviceFraming.Raw"/> the bytes simply go out in order.</summary>
    Split = 1,
}

/// <summary>Settings of a <see cref="SocketDevice"/>. Safe defaults: loopback only, port 2001, raw stream,
/// 1 MiB largest write, 5 s connect timeout, 30 s send timeout, no coalescing.</summary>
public sealed class SocketDeviceOptions
{
    /// <summary>The largest record size accepted for <see cref="SocketDeviceFraming.FixedRecord"/>.</summary>
    public const int MaxRecordSize = 1 << 20;

    /// <summary>The smallest <see cref="CoalesceBufferSize"/> accepted.</summary>
    public const int MinCoalesceBufferSize = 256;

    /// <summary>The largest <see cref="CoalesceBufferSize"/> accepted.</summary>
    public const int MaxCoalesceBufferSize = 16 << 20;

    /// <summary>The smallest <see cref="CoalesceDelay"/> accepted (the resolution of the flush timer).</summary>
    public static readonly TimeSpan MinCoalesceDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest <see cref="CoalesceDelay"/> accepted.</summary>
    public static readonly TimeSpan MaxCoalesceDelay = TimeSpan.FromSeconds(10);

    /// <summary>Destination address. Default <see cref="IPAddress.Loopback"/>.</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Destination port in host order (write <c>Port = 2001</c>); must be 1..65535. Default 2001.</summary>
    public NetworkPort Port { get; set; } = 2001;

    /// <summary>Allow a destination outside the loopback range (127.0.0.0/8, ::1). Default false: such a destination
    /// is rejected when the device is created, before any connection is attempted.</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>Message framing. Default <see cref="SocketDeviceFraming.Raw"/>.</summary>
    public SocketDeviceFraming Framing { get; set; } = SocketDeviceFraming.Raw;

    /// <summary>Record size for <see cref="SocketDeviceFraming.FixedRecord"/>; also the largest write then. Default 80.</summary>
    public int RecordSize { get; set; } = 80;

    /// <summary>Largest write (message payload) for <see cref="SocketDeviceFraming.Raw"/> and
    /// <see cref="SocketDeviceFraming.LengthPrefixed"/>. Default 1 MiB.</summary>
    public int MaxWriteSize { get; set; } = 1 << 20;

    /// <summary>What to do with a write over the limit. Default <see cref="OversizedWriteBehavior.Reject"/>.</summary>
    public OversizedWriteBehavior OversizedWrite { get; set; } = OversizedWriteBehavior.Reject;

    /// <summary>How long a connect may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one write may wait for a peer that does not read (<see cref="Timeout.InfiniteTimeSpan"/> for no limit). Default 30 s.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Disable Nagle's algorithm so every write leaves at once. Default true.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Smallest explicit <see cref="SendBufferSize"/>.</summary>
    public const int MinSendBufferSize = 4096;

    /// <summary>Largest explicit <see cref="SendBufferSize"/>.</summary>
    public const int MaxSendBufferSize = 64 << 20;

    /// <summary>
    /// The connection's kernel send buffer (SO_SNDBUF), set before connecting; 0 (the default) leaves it to the OS, which
    /// tunes it per connection. A fixed size makes throughput predictable (and comparable between connections) at the
    /// cost of that tuning. 0 or <see cref="MinSendBufferSize"/>..<see cref="MaxSendBufferSize"/> bytes.
    /// </summary>
    public int SendBufferSize { get; set; }

    /// <summary>
    /// Opt-in write coalescing. Default false: every write is sent before it returns (write(2) to the socket).
    /// When true, <see cref="SocketDevice.Write"/> and <see cref="SocketDevice.WriteAsync"/> frame the message into an
    /// internal buffer of <see cref="CoalesceBufferSize"/> bytes and return; the buffer is sent when it cannot take the
    /// next message, at most <see cref="CoalesceDelay"/> after a byte entered it, on <see cref="SocketDevice.Flush"/>,
    /// and on disposal. Trade-off: far fewer send calls for small writes, but a byte may wait up to
    /// <see cref="CoalesceDelay"/>, and a failure to send buffered bytes is reported by a later call
    /// (see <see cref="SocketDeviceException.BufferedBytesLost"/>).
    /// </summary>
    public bool Coalesce { get; set; }

    /// <summary>Size of the coalescing buffer, <see cref="MinCoalesceBufferSize"/>..<see cref="MaxCoalesceBufferSize"/>
    /// bytes. A write whose framed size exceeds it is sent directly (after the buffered bytes). Default 64 KiB.</summary>
    public int CoalesceBufferSize { get; set; } = 64 * 1024;

    /// <summary>With <see cref="Coalesce"/>, the longest a written byte may wait in the buffer before it is sent,
    /// <see cref="MinCoalesceDelay"/>..<see cref="MaxCoalesceDelay"/> (whole milliseconds are used). Default 1 ms.
    /// The delayed flush runs on the thread pool (a <see cref="System.Threading.Timer"/>, which never blocks waiting for a
    /// writer): while the pool is starved, e.g. by many threads blocked in synchronous waits, it runs late; the next write
    /// that fills the buffer, <see cref="SocketDevice.Flush"/> or disposal still sends everything.</summary>
    public TimeSpan CoalesceDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    internal SocketDeviceOptions Clone() => (SocketDeviceOptions)MemberwiseClone();
}
