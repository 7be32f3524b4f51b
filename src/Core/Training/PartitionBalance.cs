namespace Trainer.Core.Training;

/// <summary>
/// How many of the job's partitions each worker computes. Any split into contiguous ranges gives
/// bit-identical sync results (<see cref="GradientSums"/>), so the split is free to follow speed:
/// a worker that pays more for the wire (a silo away from the server) gets fewer partitions.
/// </summary>
public static class PartitionBalance
{
    /// <summary>The even split: worker i owns partitions [P·i/W, P·(i+1)/W).</summary>
    public static int[] Even(int partitions, int workers) =>
        Enumerable.Range(0, workers).Select(i => partitions * (i + 1) / workers - partitions * i / workers).ToArray();

    /// <summary>Start of each worker's range for these counts.</summary>
    public static int[] Starts(int[] counts)
    {
        var starts = new int[counts.Length];
        for (var i = 1; i < counts.Length; i++) starts[i] = starts[i - 1] + counts[i - 1];
        return starts;
    }

    /// <summary>
    /// The split that minimises the slowest worker's step time, modelled per worker as
    /// overhead + partitions × seconds per partition (both measured over the last epoch). Every worker
    /// keeps at least one partition; each further one goes where it finishes soonest. The current
    /// split is kept unless the new one is predicted at least <paramref name="minGain"/> faster, so
    /// that noise does not move partitions back and forth.
    /// </summary>
    public static int[] Split(int partitions, int[] current, double[] overheadSeconds, double[] secondsPerPartition, double minGain = 0.05)
    {
        var workers = current.Length;
        if (workers < 2 || partitions < workers) return current;
        var counts = Enumerable.Repeat(1, workers).ToArray();
        for (var p = workers; p < partitions; p++)
        {
            var best = 0;
            for (var w = 1; w < workers; w++)
                if (Finish(w, counts[w] + 1) < Finish(best, counts[best] + 1)) best = w;
            counts[best]++;
        }
        return Slowest(counts) < (1 - minGain) * Slowest(current) ? counts : current;

        double Finish(int w, int n) => Math.Max(0, overheadSeconds[w]) + n * Math.Max(0, secondsPerPartition[w]);
        double Slowest(int[] split) => Enumerable.Range(0, workers).Max(w => Finish(w, split[w]));
    }
}
