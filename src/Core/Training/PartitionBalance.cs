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
    /// The split that minimises the slowest worker's step time, modelled per worker as the messages
    /// it exchanges (the weights, and one gradient per aligned block of its range, each costing what
    /// one cost over the last epoch) plus partitions × its seconds per partition. Found exactly over
    /// all contiguous splits in which every worker keeps at least one partition. The current split is
    /// kept unless the new one is predicted at least <paramref name="minGain"/> faster, so that noise
    /// does not move partitions back and forth.
    /// </summary>
    public static int[] Split(int partitions, int[] current, double[] overheadSeconds, double[] secondsPerPartition, double minGain = 0.05)
    {
        var workers = current.Length;
        if (workers < 2 || partitions < workers) return current;
        var starts = Starts(current);
        var perMessage = Enumerable.Range(0, workers).Select(w => Math.Max(0, overheadSeconds[w]) / Messages(starts[w], current[w])).ToArray();
        double Cost(int w, int start, int count) => perMessage[w] * Messages(start, count) + count * Math.Max(0, secondsPerPartition[w]);

        // best[w, p]: the least possible slowest time of workers w.. covering partitions p..
        var best = new double[workers + 1, partitions + 1];
        var choice = new int[workers, partitions + 1];
        for (var p = 0; p < partitions; p++) best[workers, p] = double.PositiveInfinity;
        for (var w = workers - 1; w >= 0; w--)
            for (var p = 0; p <= partitions; p++)
            {
                best[w, p] = double.PositiveInfinity;
                for (var count = 1; p + count <= partitions - (workers - 1 - w); count++)
                {
                    var slowest = Math.Max(Cost(w, p, count), best[w + 1, p + count]);
                    if (slowest < best[w, p]) (best[w, p], choice[w, p]) = (slowest, count);
                }
            }
        var split = new int[workers];
        for (int w = 0, p = 0; w < workers; p += split[w], w++) split[w] = choice[w, p];

        var now = Enumerable.Range(0, workers).Max(w => Cost(w, starts[w], current[w]));
        return best[0, 0] < (1 - minGain) * now ? split : current;
    }

    /// <summary>The weights in, and one gradient sum out per aligned block of the range.</summary>
    private static int Messages(int start, int count) => 1 + GradientSums.AlignedBlocks(start, count).Count;
}
