using System.Text;
using LegacyBridge;

// Usage: LegacyBridge <managed|native> <port> <message> [<message> ...]
// Defaults from the environment: LEGACYBRIDGE_MODE, LEGACYBRIDGE_PORT (2001, the listing's port), LEGACYBRIDGE_MESSAGE.
// Each message is one device write: one connection to 127.0.0.1:<port> carrying the message's bytes.
string mode = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("LEGACYBRIDGE_MODE") ?? "managed";
string portText = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("LEGACYBRIDGE_PORT") ?? "2001";
string[] messages = args.Length > 2
    ? args[2..]
    : [Environment.GetEnvironmentVariable("LEGACYBRIDGE_MESSAGE") ?? "hello from device_write"];

if (!ushort.TryParse(portText, out ushort port) || port == 0)
{
    Console.Error.WriteLine($"invalid port '{portText}'");
    return 64;
}

Func<byte[], int, ushort, int> deviceWrite = mode switch
{
    "managed" => ManagedDevice.DeviceWrite,
    "native" => NativeDevice.DeviceWrite,
    _ => throw new ArgumentException($"unknown mode '{mode}' (managed or native)"),
};

foreach (string message in messages)
{
    byte[] data = Encoding.UTF8.GetBytes(message);
    int written = deviceWrite(data, data.Length, port);
    Console.WriteLine($"{mode}: wrote {written} bytes");
}

return 0;
