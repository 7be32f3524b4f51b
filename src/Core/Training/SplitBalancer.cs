namespace Trainer.Core.Training;

/// <summary>
/// Decides at step boundaries whether the partitions should be cut again in proportion to the
/// workers' measured speeds. Each worker's seconds per partition is the mean, over the steps since
/// the cut was made, of its compute seconds over its partitions (a mean, not a median: a CPU quota
/// throttles some steps and not others, and the mean is what it costs); a new cut is proposed only when its predicted step time
/// beats the current cut's by <see cref="Margin"/>, and only after <see cref="Window"/> steps measured
/// under the current cut. Each cut by speed doubles the window (up to <see cref="MaxWindow"/>): on a
/// shared machine another process's load moves from core to core, and a cut that chases it would
/// flap; a host that stays slow is followed at once, and noise at most a few times per job.
/// </summary>
public sealed class SplitBalancer(double margin = SplitBalancer.DefaultMargin, int window = SplitBalancer.DefaultWindow)
{
    public const int MaxWindow = 512;

    public const double DefaultMargin = 0.10;
    public const int DefaultWindow = 8;

    private double[] _sums = [];
    private int[] _counts = [];
    private int _observed;
    private readonly int _firstWindow = window;
    private int _window = window;

    public double Margin => margin;
    /// <summary>Steps to measure under the current cut before another may be proposed.</summary>
    public int Window => _window;
    /// <summary>Each worker's mean seconds per partition under the current cut (zeros before a step is averaged).</summary>
    public IReadOnlyList<double> SecondsPerPartition => _sums.Select(s => _observed > 1 ? s / (_observed - 1) : 0).ToArray();

    /// <summary>A cut was made by the cluster (the first, or workers came or went): its measurements start again, with the first window.</summary>
    public void Reset(IReadOnlyList<int> counts)
    {
        _window = _firstWindow;
        Start(counts);
    }

    /// <summary>The proposed cut was made: measured again from scratch, for twice as long before the next.</summary>
    public void Changed(IReadOnlyList<int> counts)
    {
        _window = Math.Min(MaxWindow, 2 * _window);
        Start(counts);
    }

    private void Start(IReadOnlyList<int> counts)
    {
        _counts = [.. counts];
        _sums = new double[counts.Count];
        _observed = 0;
    }

    /// <summary>One step's compute seconds per worker, under the current cut.</summary>
    public void Observe(IReadOnlyList<double> computeSeconds)
    {
        if (computeSeconds.Count != _counts.Length) throw new ArgumentException($"{computeSeconds.Count} workers' times for a cut of {_counts.Length}");
        // the first step of a cut is left out of the mean: it warms caches (and after a new cut, buffers)
        if (_observed > 0)
            for (var i = 0; i < _counts.Length; i++) _sums[i] += computeSeconds[i] / Math.Max(1, _counts[i]);
        _observed++;
    }

    /// <summary>The counts to change to, or null: too few steps measured, nothing to gain by the margin, or the same cut.</summary>
    public int[]? Propose()
    {
        var partitions = _counts.Sum();
        if (_counts.Length < 2 || _observed < _window || partitions < _counts.Length) return null;
        var perPartition = SecondsPerPartition;
        if (perPartition.Any(s => !(s > 0))) return null;
        var proposed = PartitionSplit.Proportional(partitions, perPartition);
        if (proposed.SequenceEqual(_counts)) return null;
        var now = PartitionSplit.StepSeconds(perPartition, _counts);
        var then = PartitionSplit.StepSeconds(perPartition, proposed);
        return then <= (1 - margin) * now ? proposed : null;
    }
}
