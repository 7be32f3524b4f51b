using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// --wire bf16: workers round their block sums to bfloat16 with error feedback. The weights are no
/// longer the reference's, but they repeat: the same workers and cut give the same bits, on any
/// silos and with the server in one grain or in shards (the rounding happens before the sums split).
/// </summary>
public sealed class WireTests(Clusters clusters) : IClassFixture<Clusters>
{
    private static readonly DataSpec Digits = new("digits");
    private static readonly TrainOptions Mlp = new() { Model = "mlp", Hidden = [32], Epochs = 3 };

    [Fact]
    public async Task Bfloat16_sums_give_weights_that_repeat_on_any_silos_and_shards_and_half_the_gradient_bytes()
    {
        var reference = Training.Reference(Digits, Mlp);
        var (one, two) = (await clusters.WithSilos(1), await clusters.WithSilos(2));
        var lossless = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 3, rebalance: false);
        var first = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 3, rebalance: false, wire: JobWire.Bfloat16);
        var again = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 3, rebalance: false, wire: JobWire.Bfloat16);
        var oneSilo = await Training.OnCluster(one.Grains, Digits, Mlp, workers: 3, rebalance: false, wire: JobWire.Bfloat16);
        var sharded = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 3, rebalance: false, wire: JobWire.Bfloat16, psShards: 2);

        Assert.Equal(reference.WeightsSha256, lossless.WeightsSha256);
        Assert.NotEqual(reference.WeightsSha256, first.WeightsSha256); // rounded: not the reference's bits
        Assert.Equal(first.WeightsSha256, again.WeightsSha256);
        Assert.Equal(first.WeightsSha256, oneSilo.WeightsSha256);
        Assert.Equal(first.WeightsSha256, sharded.WeightsSha256);
        Assert.Equal(first.Epochs.Select(e => e.TrainLoss), again.Epochs.Select(e => e.TrainLoss));
        Assert.InRange(first.Test!.Accuracy!.Value, reference.Test!.Accuracy!.Value - 0.02, 1.0);

        // 3 workers of 8 partitions cut 3 3 2 send 2 + 2 + 1 block sums a step: half their bytes, the weights' unchanged
        var weights = lossless.Epochs[0].Stats.BytesSent / lossless.Epochs[0].Stats.Steps / (3 + 5) * 3;
        Assert.Equal(weights + weights / 3 * 5 / 2, first.Epochs[0].Stats.BytesSent / first.Epochs[0].Stats.Steps);
    }

    /// <summary>Another worker count rounds other block sums: other bits, each run near the reference.</summary>
    [Fact]
    public async Task Bfloat16_on_other_worker_counts_differs_in_bits_and_stays_near_the_reference()
    {
        var reference = Training.Reference(Digits, Mlp);
        var cluster = await clusters.WithSilos(2);
        var two = await Training.OnCluster(cluster.Grains, Digits, Mlp, workers: 2, rebalance: false, wire: JobWire.Bfloat16);
        var four = await Training.OnCluster(cluster.Grains, Digits, Mlp, workers: 4, rebalance: false, wire: JobWire.Bfloat16);
        Assert.NotEqual(two.WeightsSha256, four.WeightsSha256);
        foreach (var run in new[] { two, four })
        {
            Assert.InRange(run.Test!.Accuracy!.Value, reference.Test!.Accuracy!.Value - 0.02, 1.0);
            Assert.InRange(run.Epochs[^1].TrainLoss, 0, reference.Epochs[^1].TrainLoss * 1.1 + 0.01);
        }
    }
}
