namespace Trainer.Core.Scaling;

/// <summary>
/// A step's time as a fixed cost plus a cost per sample, t(B) = a + b·B, fitted by least squares to
/// the (batch, step time) pairs seen so far. The coefficients, not the timings, are what a batch
/// decision records, so a replay reads them back instead of measuring again.
/// </summary>
public sealed record StepCostFit(double FixedMs, double PerSampleMs)
{
    /// <summary>Time of one step at <paramref name="batch"/>, never below a microsecond.</summary>
    public double StepMs(int batch) => Math.Max(1e-3, FixedMs + PerSampleMs * batch);

    public double SamplesPerSecond(int batch) => 1000.0 * batch / StepMs(batch);

    /// <summary>
    /// The fit, or null with no usable sample. With one distinct batch size the slope is not
    /// identified: the whole time is taken as per-sample cost (throughput flat in the batch), the
    /// cautious reading, since it promises no speed-up from a larger batch.
    /// </summary>
    public static StepCostFit? Fit(IReadOnlyList<(int Batch, double StepMs)> samples)
    {
        var usable = samples.Where(s => s.Batch > 0 && double.IsFinite(s.StepMs) && s.StepMs > 0).ToList();
        if (usable.Count == 0) return null;
        var meanB = usable.Average(s => (double)s.Batch);
        var meanT = usable.Average(s => s.StepMs);
        var sbb = usable.Sum(s => (s.Batch - meanB) * (s.Batch - meanB));
        if (sbb <= 0) return new StepCostFit(0, meanT / meanB);
        var slope = usable.Sum(s => (s.Batch - meanB) * (s.StepMs - meanT)) / sbb;
        // timings are noisy: a negative slope or intercept is clamped to the nearest physical model
        if (slope <= 0) return new StepCostFit(meanT, 0);
        var intercept = meanT - slope * meanB;
        return intercept >= 0 ? new StepCostFit(intercept, slope) : new StepCostFit(0, usable.Sum(s => s.StepMs * s.Batch) / usable.Sum(s => (double)s.Batch * s.Batch));
    }
}
