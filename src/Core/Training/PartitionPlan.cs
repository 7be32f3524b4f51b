using Trainer.Core.Random;

namespace Trainer.Core.Training;

/// <summary>
/// The data schedule of a job, fixed by (seed, partitions, global batch) and independent of who
/// computes it: the training rows are dealt into P partitions by a seeded permutation; in every
/// epoch each partition shuffles its rows with its own seeded stream and walks them in micro-batches.
/// Step s of an epoch is the union of the partitions' s-th micro-batches. Partition p's micro-batch
/// has B/P rows (the first B mod P partitions one more); an epoch has as many steps as the longest
/// partition needs, so every row is seen exactly once per epoch and the last step may be smaller.
/// The row assignment depends only on (rows, partitions, seed): under --batch auto an epoch's plan is
/// <see cref="WithBatch"/> of the job's, the same partitions walked in that epoch's micro-batches.
/// </summary>
public sealed class PartitionPlan
{
    private readonly int[][] _members;
    private readonly ulong _seed;

    public PartitionPlan(int rows, int partitions, int globalBatch, ulong seed)
    {
        if (partitions < 1) throw new UserInputException($"--partitions {partitions}: must be at least 1");
        if (globalBatch < 1) throw new UserInputException($"--batch {globalBatch}: must be at least 1");
        if (globalBatch > rows)
            throw new UserInputException($"--batch {globalBatch} is larger than the training set ({rows} rows); use --batch {rows} for full-batch gradient descent");
        if (partitions > globalBatch)
            throw new UserInputException($"--partitions {partitions} is larger than --batch {globalBatch}: every partition needs at least one row per step");

        Rows = rows; Partitions = partitions; GlobalBatch = globalBatch; _seed = seed;
        var order = Enumerable.Range(0, rows).ToArray();
        Rng.For(seed, RandomStream.PartitionAssignment).Shuffle(order.AsSpan());
        _members = new int[partitions][];
        for (var p = 0; p < partitions; p++)
        {
            var members = new int[(rows - p + partitions - 1) / partitions];
            for (var i = 0; i < members.Length; i++) members[i] = order[p + i * partitions];
            Array.Sort(members);
            _members[p] = members;
        }
        (MicroBatch, StepsPerEpoch) = Walk(_members, globalBatch);
    }

    private PartitionPlan(PartitionPlan plan, int globalBatch)
    {
        if (globalBatch < plan.Partitions)
            throw new UserInputException($"--batch {globalBatch} is smaller than --partitions {plan.Partitions}: every partition needs at least one row per step");
        if (globalBatch > plan.Rows)
            throw new UserInputException($"--batch {globalBatch} is larger than the training set ({plan.Rows} rows)");
        (Rows, Partitions, GlobalBatch, _seed, _members) = (plan.Rows, plan.Partitions, globalBatch, plan._seed, plan._members);
        (MicroBatch, StepsPerEpoch) = Walk(_members, globalBatch);
    }

    /// <summary>The same partitions (the same rows in each, the same epoch orders) walked in micro-batches of another global batch.</summary>
    public PartitionPlan WithBatch(int globalBatch) => globalBatch == GlobalBatch ? this : new PartitionPlan(this, globalBatch);

    private static (int[] MicroBatch, int Steps) Walk(int[][] members, int globalBatch)
    {
        var partitions = members.Length;
        var micro = new int[partitions];
        for (var p = 0; p < partitions; p++) micro[p] = globalBatch / partitions + (p < globalBatch % partitions ? 1 : 0);
        return (micro, Enumerable.Range(0, partitions).Max(p => (members[p].Length + micro[p] - 1) / micro[p]));
    }

    public int Rows { get; }
    public ulong Seed => _seed;
    public int Partitions { get; }
    public int GlobalBatch { get; }
    public int StepsPerEpoch { get; }
    /// <summary>Rows partition p contributes to a full step.</summary>
    public int[] MicroBatch { get; }

    /// <summary>Partition p's training rows in the order epoch e (1-based) visits them.</summary>
    public int[] EpochOrder(int partition, int epoch)
    {
        var order = (int[])_members[partition].Clone();
        Rng.For(_seed, RandomStream.Shuffle, partition, epoch).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>The rows of partition p in step s (0-based) of an epoch, given its epoch order; may be empty.</summary>
    public ReadOnlySpan<int> MicroBatchRows(int[] epochOrder, int partition, int step)
    {
        var size = MicroBatch[partition];
        var start = Math.Min(step * size, epochOrder.Length);
        return epochOrder.AsSpan(start, Math.Min(size, epochOrder.Length - start));
    }
}
