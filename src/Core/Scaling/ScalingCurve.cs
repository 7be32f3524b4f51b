namespace Trainer.Core.Scaling;

/// <summary>
/// Steps to a target against the global batch (Shallue et al. 2018): perfect scaling has slope −1
/// on log-log axes (doubling the batch halves the steps), then returns diminish and the steps level
/// off. This finds where the measured curve leaves the perfect-scaling line.
/// </summary>
public sealed class ScalingCurve
{
    /// <summary>A segment whose log-log slope is at most this steep (≤ −0.75) still counts as near-perfect scaling.</summary>
    public const double PerfectSlope = -0.75;

    public ScalingCurve(IEnumerable<(int Batch, long Steps)> points)
    {
        Points = points.Where(p => p.Batch > 0 && p.Steps > 0).OrderBy(p => p.Batch).ToArray();
        Slopes = Points.Zip(Points.Skip(1), (a, b) => Math.Log((double)b.Steps / a.Steps) / Math.Log((double)b.Batch / a.Batch)).ToArray();
    }

    public IReadOnlyList<(int Batch, long Steps)> Points { get; }

    /// <summary>The log-log slope from each point to the next.</summary>
    public IReadOnlyList<double> Slopes { get; }

    /// <summary>
    /// The largest batch up to which every segment from the smallest batch scales near-perfectly: the
    /// knee, where the slope leaves −1. Null with fewer than two points or when the first segment already bends.
    /// </summary>
    public int? PerfectScalingEnd
    {
        get
        {
            int? end = null;
            for (var i = 0; i < Slopes.Count && Slopes[i] <= PerfectSlope; i++) end = Points[i + 1].Batch;
            return end;
        }
    }

    /// <summary>The steps perfect scaling from the smallest batch would need at a batch: steps₀ · batch₀ / batch.</summary>
    public double PerfectSteps(int batch) => Points.Count == 0 ? double.NaN : (double)Points[0].Steps * Points[0].Batch / batch;
}
