using Trainer.Grains.Transport;

namespace Trainer.Grains.Bench;

/// <summary>
/// The transport benchmark's two ends, keyed "bench/0" and "bench/1" so that spread placement puts
/// them on different silos: the first times weight pulls and gradient pushes against the second,
/// the way the parameter server and a worker exchange them, silo to silo without the client.
/// </summary>
public interface ITransportProbeGrain : IGrainWithStringKey
{
    /// <summary>Round trips to <paramref name="peer"/>, each a pull then a push of <paramref name="floats"/> floats: their times in ms, and both silos.</summary>
    Task<TransportTimes> Measure(string peer, int floats, int rounds, int warmup);

    /// <summary>A vector of this length (the weights a worker is sent).</summary>
    Task<FloatVector> Pull(int floats);

    /// <summary>Receives a vector (the gradient a worker returns).</summary>
    Task Push(FloatVector vector);

    Task<string> Silo();
}

[GenerateSerializer, Immutable, Alias("trainer.transport-times")]
public sealed record TransportTimes([property: Id(0)] double[] PullMs, [property: Id(1)] double[] PushMs, [property: Id(2)] string From, [property: Id(3)] string To);

public static class TransportProbe
{
    /// <summary>
    /// Times round trips between two probes on different silos. Placement follows each silo's view
    /// of the membership, which lags for a moment after a silo joins: a pair that landed on one silo
    /// is given up and a fresh pair (new keys) placed, until the deadline.
    /// </summary>
    public static async Task<TransportTimes> MeasureAsync(IGrainFactory grains, int floats, int rounds, int warmup, TimeSpan deadline, CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var pair = $"bench-{Guid.NewGuid():N}";
            var first = grains.GetGrain<ITransportProbeGrain>($"{pair}/0");
            var placed = await first.Measure($"{pair}/1", floats, rounds: 0, warmup: 0).WaitAsync(cancellation);
            if (placed.From != placed.To) return await first.Measure($"{pair}/1", floats, rounds, warmup).WaitAsync(cancellation);
            if (clock.Elapsed > deadline)
                throw new InvalidOperationException($"after {attempt + 1} attempts in {deadline.TotalSeconds:F0} s both probes still land on {placed.From}: the silos do not see each other");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellation);
        }
    }
}
