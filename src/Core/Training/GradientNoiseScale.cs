namespace Trainer.Core.Training;

/// <summary>The estimator's running averages, kept in checkpoints so a resumed job reports the same values.</summary>
public sealed record NoiseScaleState(double Trace, double Signal, double Weight)
{
    public static NoiseScaleState Empty { get; } = new(0, 0, 0);

    /// <summary>B_simple, or null before any usable step (one partition has no smaller batch to compare).</summary>
    public double? Value => Weight > 0 && Signal > 0 ? Trace / Signal : null;
}

/// <summary>
/// The simple gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, appendix A),
/// from the squared norms of gradients at two batch sizes that data parallelism gives for free:
/// each partition's micro-batch gradient (size b) and the step's mean gradient (size B). Unbiased
/// per-step estimates
///   |G|² ≈ (B·|G_B|² − b·|G_b|²)/(B − b),   tr(Σ) ≈ (|G_b|² − |G_B|²)/(1/b − 1/B)
/// are each averaged (a bias-corrected exponential moving average) before dividing, since a single
/// step's |G|² estimate is noisy and may even be negative.
/// </summary>
public static class GradientNoiseScale
{
    /// <summary>EMA decay per step: an average over roughly the last hundred steps.</summary>
    public const double Decay = 0.99;

    /// <param name="smallSquaredNorm">|G_b|²: the mean over partitions of their micro-batch mean gradient's squared norm.</param>
    /// <param name="smallBatch">b: the mean micro-batch size.</param>
    /// <param name="bigSquaredNorm">|G_B|²: the squared norm of the step's mean gradient.</param>
    /// <param name="bigBatch">B: the step's rows.</param>
    public static NoiseScaleState Observe(NoiseScaleState s, double smallSquaredNorm, double smallBatch, double bigSquaredNorm, double bigBatch)
    {
        if (!(bigBatch > smallBatch) || smallBatch <= 0 || !double.IsFinite(smallSquaredNorm) || !double.IsFinite(bigSquaredNorm)) return s;
        var signal = (bigBatch * bigSquaredNorm - smallBatch * smallSquaredNorm) / (bigBatch - smallBatch);
        var trace = (smallSquaredNorm - bigSquaredNorm) / (1 / smallBatch - 1 / bigBatch);
        // EMA with Adam's bias correction: Weight is 1 − Decay^n, so Trace/Weight is a proper average from the first step
        return new NoiseScaleState(Decay * s.Trace + (1 - Decay) * trace, Decay * s.Signal + (1 - Decay) * signal, Decay * s.Weight + (1 - Decay));
    }

    /// <summary>
    /// An update's view: the partitions' micro-batch gradients (size b = rows over the partitions that
    /// had rows) against the update's mean gradient (size B = rows), given |G_B|².
    /// </summary>
    public static NoiseScaleState ObservePartitions(NoiseScaleState s, IReadOnlyList<double> partitionSquaredNorms, int rows, double meanSquaredNorm)
    {
        double small = 0;
        var counted = 0;
        foreach (var norm in partitionSquaredNorms)
            if (norm > 0) { small += norm; counted++; }
        if (counted < 2) return s; // one micro-batch: no second batch size to compare with
        return Observe(s, small / counted, (double)rows / counted, meanSquaredNorm, rows);
    }
}
