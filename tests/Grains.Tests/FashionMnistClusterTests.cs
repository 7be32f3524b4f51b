using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>Fashion-MNIST on the embedded 2-silo cluster (Debian's dataset-fashion-mnist, installed by .ci/run).</summary>
[Trait("Category", "Slow")]
public sealed class FashionMnistClusterTests(Clusters clusters) : IClassFixture<Clusters>
{
    private static readonly DataSpec Fashion = new("fashion-mnist", ValFraction: 0);

    [Fact]
    public async Task Mlp_on_two_silos_and_two_workers_reaches_88_percent_with_the_reference_weights()
    {
        var options = new TrainOptions { Model = "mlp", Hidden = [256], Epochs = 15, Batch = 256, LearningRate = 0.1, Momentum = 0.9 };
        var cluster = await clusters.WithSilos(2);
        var result = await Training.OnCluster(cluster.Grains, Fashion, options, workers: 2);
        Assert.True(result.Epochs.Max(e => e.Test!.Accuracy!.Value) >= 0.88, $"best test accuracy {result.Epochs.Max(e => e.Test!.Accuracy):F4}");
        Assert.Equal(Training.Reference(Fashion, options).WeightsSha256, result.WeightsSha256);
    }

    [Theory]
    [InlineData("async", 0)]
    [InlineData("ssp", 2)]
    public async Task Softmax_in_async_modes_reaches_82_percent_in_ten_epochs(string mode, int staleness)
    {
        var options = new TrainOptions { Model = "softmax", Epochs = 10, Batch = 256, LearningRate = 0.1, Momentum = 0 };
        var cluster = await clusters.WithSilos(2);
        var result = await Training.OnCluster(cluster.Grains, Fashion, options, workers: 2, mode, staleness);
        Assert.True(result.Test!.Accuracy >= 0.82, $"{mode}: test accuracy {result.Test.Accuracy:F4}");
        Assert.All(result.Epochs, e => Assert.True(e.Stats.Updates == 2 * e.Stats.Steps, "every worker's gradient is applied on its own"));
        if (mode == "ssp") Assert.All(result.Epochs, e => Assert.InRange(e.Stats.MaxStaleness, 0, (staleness + 1) * 2));
    }
}
