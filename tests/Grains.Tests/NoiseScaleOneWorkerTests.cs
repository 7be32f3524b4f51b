using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// The noise scale compares each partition's micro-batch gradient with the step's mean gradient, so it
/// needs two partitions, not two workers (Pollux's estimator divided by zero with one worker, their
/// issue #98). One worker holding all 8 partitions reports it, and the same value as 4 workers and the
/// reference trainer, since the partition norms are the same bits whoever computes them.
/// </summary>
public sealed class NoiseScaleOneWorkerTests(Clusters clusters) : IClassFixture<Clusters>
{
    [Fact]
    public async Task One_worker_measures_the_same_noise_scale_as_four_and_the_reference()
    {
        var data = new DataSpec("digits");
        var options = new TrainOptions { Model = "mlp", Hidden = [32], Epochs = 2 };
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(2);

        var one = await Training.OnCluster(cluster.Grains, data, options, workers: 1);
        var four = await Training.OnCluster(cluster.Grains, data, options, workers: 4);

        var expected = reference.Epochs.Select(e => e.Stats.NoiseScale).ToList();
        Assert.All(expected, n => Assert.True(n is > 0 && double.IsFinite(n.Value)));
        Assert.Equal(expected, one.Epochs.Select(e => e.Stats.NoiseScale));
        Assert.Equal(expected, four.Epochs.Select(e => e.Stats.NoiseScale));
    }
}
