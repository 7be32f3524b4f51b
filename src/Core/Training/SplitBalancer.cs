namespace Trainer.Core.Training;

/// <summary>
/// Decides at step boundaries whether the partitions should be cut again in proportion to the
/// workers' measured speeds. Each worker's seconds per partition is an exponential average of its
/// compute seconds over its partitions; a new cut is proposed only when its predicted step time
/// beats the current cut's by <see cref="Margin"/>, and only after <see cref="Window"/> steps measured
/// under the current cut, so noise in a shared machine's timings does not make it flap.
/// </summary>
public sealed class SplitBalancer(double margin = SplitBalancer.DefaultMargin, int window = SplitBalancer.DefaultWindow, double smoothing = 0.3)
{
    public const double DefaultMargin = 0.10;
    public const int DefaultWindow = 8;

    private double[] _secondsPerPartition = [];
    private int[] _counts = [];
    private int _observed;

    public double Margin => margin;
    public int Window => window;
    /// <summary>Each worker's smoothed seconds per partition under the current cut (empty before a step).</summary>
    public IReadOnlyList<double> SecondsPerPartition => _secondsPerPartition;

    /// <summary>A cut was made (the first, a cluster change, or a rebalance): its measurements start again.</summary>
    public void Reset(IReadOnlyList<int> counts)
    {
        _counts = [.. counts];
        _secondsPerPartition = new double[counts.Count];
        _observed = 0;
    }

    /// <summary>One step's compute seconds per worker, under the current cut.</summary>
    public void Observe(IReadOnlyList<double> computeSeconds)
    {
        if (computeSeconds.Count != _counts.Length) { Reset(PartitionSplit.Even(_counts.Sum(), computeSeconds.Count)); return; }
        for (var i = 0; i < _counts.Length; i++)
        {
            var sample = computeSeconds[i] / Math.Max(1, _counts[i]);
            // the first step of a cut is left out of the average: it warms caches (and after a new cut, buffers)
            _secondsPerPartition[i] = _observed <= 1 ? sample : smoothing * sample + (1 - smoothing) * _secondsPerPartition[i];
        }
        _observed++;
    }

    /// <summary>The counts to change to, or null: too few steps measured, nothing to gain by the margin, or the same cut.</summary>
    public int[]? Propose()
    {
        var partitions = _counts.Sum();
        if (_counts.Length < 2 || _observed < window || partitions < _counts.Length) return null;
        if (_secondsPerPartition.Any(s => !(s > 0))) return null;
        var proposed = PartitionSplit.Proportional(partitions, _secondsPerPartition);
        if (proposed.SequenceEqual(_counts)) return null;
        var now = PartitionSplit.StepSeconds(_secondsPerPartition, _counts);
        var then = PartitionSplit.StepSeconds(_secondsPerPartition, proposed);
        return then <= (1 - margin) * now ? proposed : null;
    }
}
