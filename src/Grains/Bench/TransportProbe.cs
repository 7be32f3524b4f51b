namespace Trainer.Grains.Bench;

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
