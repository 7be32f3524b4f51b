using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// --mode local-sgd: each worker takes --average-every steps of its own SGD, then the server averages
/// the workers' moves and applies them. Not the reference's weights, but repeatable: the same workers
/// and cut give the same bits on any silos; and one worker averaging every step is SGD again.
/// </summary>
public sealed class LocalSgdTests(Clusters clusters) : IClassFixture<Clusters>
{
    private static readonly DataSpec Digits = new("digits");
    private static readonly TrainOptions Mlp = new() { Model = "mlp", Hidden = [32], Epochs = 3 };

    [Fact]
    public async Task Local_sgd_repeats_on_any_silos_trains_near_sync_and_exchanges_once_a_round()
    {
        var reference = Training.Reference(Digits, Mlp);
        var (one, two) = (await clusters.WithSilos(1), await clusters.WithSilos(2));
        var first = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 2, mode: JobMode.LocalSgd, averageEvery: 4);
        var again = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 2, mode: JobMode.LocalSgd, averageEvery: 4);
        var oneSilo = await Training.OnCluster(one.Grains, Digits, Mlp, workers: 2, mode: JobMode.LocalSgd, averageEvery: 4);
        var everyStep = await Training.OnCluster(two.Grains, Digits, Mlp, workers: 2, mode: JobMode.LocalSgd, averageEvery: 1);

        Assert.NotEqual(reference.WeightsSha256, first.WeightsSha256);
        Assert.Equal(first.WeightsSha256, again.WeightsSha256);
        Assert.Equal(first.WeightsSha256, oneSilo.WeightsSha256);
        Assert.NotEqual(first.WeightsSha256, everyStep.WeightsSha256);
        Assert.Equal(first.Epochs.Select(e => e.TrainLoss), again.Epochs.Select(e => e.TrainLoss));
        Assert.InRange(first.Test!.Accuracy!.Value, reference.Test!.Accuracy!.Value - 0.03, 1.0);

        // a round sends the weights to both workers and takes both moves back: 4 vectors per 4 steps
        var stats = first.Epochs[0].Stats;
        var vector = (long)(64 * 32 + 32 + 32 * 10 + 10) * sizeof(float);
        Assert.Equal((stats.Steps + 3) / 4 * 4 * vector, stats.BytesSent);
    }

    [Fact]
    public async Task One_worker_averaging_every_step_follows_the_reference_up_to_rounding()
    {
        var reference = Training.Reference(Digits, Mlp);
        var cluster = await clusters.WithSilos(1);
        var run = await Training.OnCluster(cluster.Grains, Digits, Mlp, workers: 1, mode: JobMode.LocalSgd, averageEvery: 1);
        foreach (var (mine, theirs) in run.Epochs.Zip(reference.Epochs))
            Assert.InRange(mine.TrainLoss, theirs.TrainLoss * 0.99, theirs.TrainLoss * 1.01); // w − (w − (w − ηv)) is w − ηv but for rounding
        Assert.InRange(run.Test!.Accuracy!.Value, reference.Test!.Accuracy!.Value - 0.01, reference.Test!.Accuracy!.Value + 0.01);
    }
}
