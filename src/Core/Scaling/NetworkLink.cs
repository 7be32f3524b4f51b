namespace Trainer.Core.Scaling;

/// <summary>
/// Every host's link: its rate each way (full duplex; <see cref="double.PositiveInfinity"/> for an
/// unlimited veth) and the round-trip time between two hosts.
/// </summary>
public sealed record NetworkLink(double BitsPerSecond, double RoundTripMs = 0)
{
    public static NetworkLink Unlimited { get; } = new(double.PositiveInfinity);

    public double BytesPerMs => BitsPerSecond / 8 / 1000;

    /// <summary>A step is two rounds, each a round trip: weights pulled, then gradients pushed (to every shard at once).</summary>
    public const int RoundsPerStep = 2;

    /// <summary>
    /// Bytes the busiest host link carries each way in one round, with N workers on N hosts and the S
    /// shards on S of those hosts (the product places a shard beside a worker): a shard's link carries
    /// the other N−1 workers' M/S and its own worker's M·(S−1)/S to the other shards; a worker-only
    /// host's link carries M. One host: nothing crosses a link. Null for more shards than hosts.
    /// </summary>
    public static double? BusiestLinkBytes(int hosts, int shards, double modelBytes) =>
        shards > hosts ? null : hosts == 1 ? 0 : Math.Max((hosts + shards - 2) * modelBytes / shards, modelBytes);

    /// <summary>Wire time of a step's two rounds on the busiest link.</summary>
    public double WireMs(int hosts, int shards, double modelBytes) =>
        RoundsPerStep * (BusiestLinkBytes(hosts, shards, modelBytes) ?? double.NaN) / BytesPerMs;
}
