namespace Trainer.Core.Scaling;

/// <summary>One candidate batch's prediction: its statistical efficiency, throughput and their product.</summary>
public sealed record BatchCandidate(int Batch, double Efficiency, double SamplesPerSecond)
{
    /// <summary>Goodput: useful samples per second, throughput × efficiency (Pollux).</summary>
    public double Goodput => Efficiency * SamplesPerSecond;
}

/// <summary>A decision at an epoch boundary: the batch to run, its prediction, and whether it changed.</summary>
public sealed record BatchDecision(int Batch, BatchCandidate Predicted, bool Switched);

/// <summary>
/// The goodput model of --batch auto (McCandlish et al. 2018; Pollux, OSDI 2021):
///   efficiency E(M) = (φ + M₀)/(φ + M)       φ the noise scale, M₀ the starting batch
///   goodput    G(M) = throughput(M) · E(M)    throughput from a <see cref="StepCostFit"/>
/// over a geometric grid P·2^k in [min, max] (multiples of the partition count P),
/// with a switch only when the best candidate beats the current batch by the hysteresis margin
/// (Pollux's issue #27: without it the batch flapped). Pure: the same inputs give the same decision.
/// </summary>
public static class BatchPolicy
{
    public const double Hysteresis = 0.05;

    /// <summary>
    /// The partition count times the powers of two, P·2^k, in [min, max] (every partition gets whole
    /// rows, the same number each); min and max themselves when the partitions divide them. For a
    /// power-of-two P these are the powers of two in range that P divides.
    /// </summary>
    public static IReadOnlyList<int> Grid(int min, int max, int partitions)
    {
        if (min < 1 || max < min || partitions < 1) throw new ArgumentException($"bad batch range {min}..{max} for {partitions} partitions");
        var grid = new SortedSet<int>();
        if (min % partitions == 0) grid.Add(min);
        for (long m = partitions; m <= max; m *= 2)
            if (m >= min) grid.Add((int)m);
        if (max % partitions == 0) grid.Add(max);
        return [.. grid];
    }

    /// <summary>(φ + M₀)/(φ + M); 1 at M = M₀, and 1 for every M while there is no estimate yet (φ unknown: no preference).</summary>
    public static double Efficiency(double? noiseScale, int startBatch, int batch)
    {
        if (noiseScale is not { } phi || !double.IsFinite(phi) || phi < 0) return 1;
        return (phi + startBatch) / (phi + batch);
    }

    /// <summary>
    /// AdaScale's gain r = (σ² + |∇F|²)/(σ²/S + |∇F|²), S = M/M₀, with σ² = tr(Σ)/M₀ the starting
    /// batch's gradient variance and |∇F|² the signal. In 1..S; 1 when either statistic is unusable.
    /// </summary>
    public static double Gain(double trace, double signal, int startBatch, int batch)
    {
        var scale = (double)batch / startBatch;
        if (!double.IsFinite(trace) || !double.IsFinite(signal) || trace < 0 || signal < 0 || trace + signal <= 0) return 1;
        var variance = trace / startBatch;
        var gain = (variance + signal) / (variance / scale + signal);
        return Math.Clamp(gain, Math.Min(1, scale), Math.Max(1, scale));
    }

    public static BatchCandidate Predict(StepCostFit cost, double? noiseScale, int startBatch, int batch) =>
        new(batch, Efficiency(noiseScale, startBatch, batch), cost.SamplesPerSecond(batch));

    /// <summary>The batch with the best goodput on the grid, kept at <paramref name="current"/> unless the best is ≥ 5% better.</summary>
    public static BatchDecision Decide(IReadOnlyList<int> grid, int current, StepCostFit cost, double? noiseScale, int startBatch)
    {
        var now = Predict(cost, noiseScale, startBatch, current);
        var best = grid.Select(m => Predict(cost, noiseScale, startBatch, m)).MaxBy(c => c.Goodput)!;
        return best.Batch != current && best.Goodput >= (1 + Hysteresis) * now.Goodput
            ? new BatchDecision(best.Batch, best, true)
            : new BatchDecision(current, now, false);
    }
}
