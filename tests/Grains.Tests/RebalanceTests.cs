using System.Collections.Concurrent;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// Sync mode's rebalance: when one worker is slow, the partitions are cut again by the workers'
/// measured speeds, and the weights stay bit-identical to the reference trainer's.
/// </summary>
public sealed class RebalanceTests
{
    /// <summary>Worker 1 of every job reports 50 ms more compute per partition than it took: a slow host, measured, with no wall time in the test.</summary>
    private sealed class SlowWorkerOne : IIncomingGrainCallFilter
    {
        public const double SecondsPerPartition = 0.05;

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            await context.Invoke();
            if (context.InterfaceMethod?.Name != "ComputeGradient" || context.Result is not StepSums sums) return;
            var key = context.TargetId.Key.ToString()!;
            var index = key[(key.LastIndexOf('/') + 1)..].Split('.', '@')[0];
            if (index == "1") context.Result = sums with { ComputeSeconds = sums.ComputeSeconds + SecondsPerPartition * sums.Losses.Length };
        }
    }

    private sealed class Notes : ITrainingObserver
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public void Note(string note) => Lines.Enqueue(note);
    }

    [Fact]
    public async Task A_slow_worker_gets_fewer_partitions_and_the_weights_equal_the_reference()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(2, configure: silo => silo.AddIncomingGrainCallFilter(new SlowWorkerOne()));
        var data = new DataSpec("digits");
        var options = new TrainOptions { Model = "mlp", Hidden = [32], Epochs = 3, Batch = 64, Partitions = 8 };
        var reference = Training.Reference(data, options);

        var notes = new Notes();
        var balanced = await Training.OnCluster(cluster.Grains, data, options, workers: 2, observer: notes);
        var cuts = notes.Lines.Where(n => n.Contains("partitions follow the workers' speeds", StringComparison.Ordinal)).ToList();
        Assert.True(cuts.Count >= 1, $"the cut never changed; notes: {string.Join(" | ", notes.Lines)}");
        Assert.Contains("partitions follow the workers' speeds: 4 4 → 7 1 per worker", cuts[0]);
        Assert.Single(cuts); // measured again under 7 1, the same cut is proposed: no flapping
        Assert.True(reference.WeightsSha256 == balanced.WeightsSha256, "rebalanced: the weights differ from the reference");
        Assert.Equal(reference.Epochs.Select(e => e.TrainLoss), balanced.Epochs.Select(e => e.TrainLoss));

        var off = new Notes();
        var even = await Training.OnCluster(cluster.Grains, data, options, workers: 2, observer: off, rebalance: false);
        Assert.DoesNotContain(off.Lines, n => n.Contains("partitions follow", StringComparison.Ordinal));
        Assert.Equal(reference.WeightsSha256, even.WeightsSha256);
    }
}
