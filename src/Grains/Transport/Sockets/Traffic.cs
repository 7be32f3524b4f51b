namespace Trainer.Grains.Transport.Sockets;

/// <summary>Bytes this process sent and received on one kind of connection; the counts only grow.</summary>
public sealed class TrafficCounter
{
    private long _sent, _received;

    public long Sent => Interlocked.Read(ref _sent);
    public long Received => Interlocked.Read(ref _received);

    internal void AddSent(long bytes) => Interlocked.Add(ref _sent, bytes);
    internal void AddReceived(long bytes) => Interlocked.Add(ref _received, bytes);
}

/// <summary>
/// What this process put on the wire, by kind of connection: between silos, on its gateways (the
/// clients' connections to it), and as a client to gateways. A test counts with them what crosses
/// a real network between processes.
/// </summary>
public static class Traffic
{
    public static TrafficCounter SiloToSilo { get; } = new();
    public static TrafficCounter Gateway { get; } = new();
    public static TrafficCounter Client { get; } = new();
}
