namespace Trainer.Core.Training;

/// <summary>
/// Decides at step boundaries whether the partitions should be cut again in proportion to the
/// workers' measured speeds. Each worker's seconds per partition is the mean, over the last
/// <see cref="Window"/> steps under the current cut, of its compute seconds over its partitions (a
/// mean, not a median: a CPU quota throttles some steps and not others, and the mean is what it
/// costs). A new cut is proposed only when its predicted step time beats the current cut's by
/// <see cref="Margin"/>, and when both halves of the window, each on its own, ask for the same cut: a
/// host that stays slow does, another process's load moving from core to core on a shared machine
/// does not. Each cut by speed doubles the window (up to <see cref="MaxWindow"/>), so noise that
/// gets through changes the cut a few times per job at most. A cut left before is not gone back to
/// when its measured steps were not faster than the current cut's: seconds per partition are not
/// constant (a CPU quota does not slow a worker whose few partitions fit in it), so the prediction
/// alone would undo a good cut.
/// </summary>
public sealed class SplitBalancer(double margin = SplitBalancer.DefaultMargin, int window = SplitBalancer.DefaultWindow)
{
    public const double DefaultMargin = 0.10;
    public const int DefaultWindow = 8;
    public const int MaxWindow = 512;

    private readonly int _firstWindow = window;
    private readonly Queue<double[]> _steps = new(); // seconds per partition of the window's steps, oldest first
    private int[] _counts = [];
    private bool _warm;
    private int _window = window;
    private readonly Dictionary<string, double> _left = []; // cut → its measured mean step compute seconds, for the cuts left since the last Reset

    public double Margin => margin;
    /// <summary>Steps to measure under the current cut before another may be proposed.</summary>
    public int Window => _window;
    /// <summary>Each worker's mean seconds per partition over the window (zeros before a step is averaged).</summary>
    public IReadOnlyList<double> SecondsPerPartition => Mean(_steps.ToArray(), _counts.Length);

    /// <summary>A cut was made by the cluster (the first, or workers came or went): its measurements start again, with the first window.</summary>
    public void Reset(IReadOnlyList<int> counts)
    {
        _window = _firstWindow;
        _left.Clear();
        Start(counts);
    }

    /// <summary>The proposed cut was made: measured again from scratch, for twice as long before the next.</summary>
    public void Changed(IReadOnlyList<int> counts)
    {
        _window = Math.Min(MaxWindow, 2 * _window);
        if (_steps.Count > 0) _left[Key(_counts)] = MeasuredStep();
        Start(counts);
    }

    private void Start(IReadOnlyList<int> counts)
    {
        _counts = [.. counts];
        _steps.Clear();
        _warm = false;
    }

    /// <summary>One step's compute seconds per worker, under the current cut.</summary>
    public void Observe(IReadOnlyList<double> computeSeconds)
    {
        if (computeSeconds.Count != _counts.Length) throw new ArgumentException($"{computeSeconds.Count} workers' times for a cut of {_counts.Length}");
        // the first step of a cut is left out: it warms caches (and after a new cut, buffers)
        if (!_warm) { _warm = true; return; }
        _steps.Enqueue(Enumerable.Range(0, _counts.Length).Select(i => computeSeconds[i] / Math.Max(1, _counts[i])).ToArray());
        while (_steps.Count > _window) _steps.Dequeue();
    }

    /// <summary>The counts to change to, or null: too few steps measured, nothing to gain by the margin, the halves disagree, or the same cut.</summary>
    public int[]? Propose()
    {
        var partitions = _counts.Sum();
        if (_counts.Length < 2 || _steps.Count < _window || partitions < _counts.Length) return null;
        var steps = _steps.ToArray();
        var proposed = Gaining(Mean(steps, _counts.Length));
        if (proposed is null) return null;
        var half = steps.Length / 2;
        var early = Gaining(Mean(steps[..half], _counts.Length));
        var late = Gaining(Mean(steps[half..], _counts.Length));
        if (early is null || late is null || !early.SequenceEqual(proposed) || !late.SequenceEqual(proposed)) return null;
        if (_left.TryGetValue(Key(proposed), out var measured) && measured >= (1 - margin) * MeasuredStep()) return null; // tried: it was not faster
        return proposed;
    }

    /// <summary>The current cut's mean step compute seconds over the window, as measured: the slowest worker of each step.</summary>
    private double MeasuredStep() => _steps.Average(step => Enumerable.Range(0, _counts.Length).Max(i => step[i] * _counts[i]));

    private static string Key(IReadOnlyList<int> counts) => string.Join(' ', counts);

    /// <summary>The cut these seconds per partition give, when it beats the current one by the margin.</summary>
    private int[]? Gaining(IReadOnlyList<double> perPartition)
    {
        if (perPartition.Any(s => !(s > 0))) return null;
        var proposed = PartitionSplit.Proportional(_counts.Sum(), perPartition);
        if (proposed.SequenceEqual(_counts)) return null;
        var now = PartitionSplit.StepSeconds(perPartition, _counts);
        var then = PartitionSplit.StepSeconds(perPartition, proposed);
        return then <= (1 - margin) * now ? proposed : null;
    }

    private static double[] Mean(double[][] steps, int workers) =>
        Enumerable.Range(0, workers).Select(i => steps.Length == 0 ? 0 : steps.Average(s => s[i])).ToArray();
}
