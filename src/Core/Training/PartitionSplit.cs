namespace Trainer.Core.Training;

/// <summary>
/// How a step's partitions are cut among workers: contiguous ranges in worker order. Any such cut
/// gives the same bits (<see cref="GradientSums"/>), so the cut may follow the workers' speeds.
/// </summary>
public static class PartitionSplit
{
    /// <summary>Near-equal counts: worker i gets partitions [P·i/W, P·(i+1)/W).</summary>
    public static int[] Even(int partitions, int workers) =>
        Enumerable.Range(0, workers).Select(i => partitions * (i + 1) / workers - partitions * i / workers).ToArray();

    /// <summary>
    /// Counts in proportion to the workers' speeds (the inverse of their seconds per partition), each
    /// worker at least one: one each, then every further partition to the worker that would finish it
    /// first, ties to the lower index. That rounding makes the slowest worker's time the least any cut
    /// can give (largest remainders can leave a slow worker one too many), and the same inputs always
    /// give the same cut.
    /// </summary>
    public static int[] Proportional(int partitions, IReadOnlyList<double> secondsPerPartition)
    {
        var workers = secondsPerPartition.Count;
        if (workers == 0 || partitions < workers) throw new ArgumentException($"{partitions} partitions cannot give {workers} workers one each");
        if (secondsPerPartition.Any(s => !(s > 0) || double.IsInfinity(s))) return Even(partitions, workers);
        var counts = Enumerable.Repeat(1, workers).ToArray();
        for (var left = partitions - workers; left > 0; left--)
        {
            var next = 0;
            for (var i = 1; i < workers; i++)
                if ((counts[i] + 1) * secondsPerPartition[i] < (counts[next] + 1) * secondsPerPartition[next]) next = i;
            counts[next]++;
        }
        return counts;
    }

    /// <summary>The contiguous ranges of these counts, in worker order.</summary>
    public static (int First, int Count)[] Ranges(IReadOnlyList<int> counts)
    {
        var ranges = new (int, int)[counts.Count];
        for (int i = 0, first = 0; i < counts.Count; first += counts[i], i++) ranges[i] = (first, counts[i]);
        return ranges;
    }

    /// <summary>A sync step waits for the slowest worker: the largest of seconds-per-partition × partitions.</summary>
    public static double StepSeconds(IReadOnlyList<double> secondsPerPartition, IReadOnlyList<int> counts) =>
        Enumerable.Range(0, counts.Count).Max(i => secondsPerPartition[i] * counts[i]);
}
