using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// The determinism contract: in sync mode the cluster's weights are bit-identical to the reference
/// trainer's for any number of workers (up to --partitions, here 8) and silos. Each worker owns a
/// contiguous range of partitions, reduces its aligned blocks, and the parameter server completes
/// the same fixed tree, so every worker count from 1 to P is covered, not only powers of two.
/// </summary>
public sealed class SyncDeterminismTests(Clusters clusters) : IClassFixture<Clusters>
{
    public static TheoryData<int, string> Cases() => new()
    {
        { 1, "mlp" }, { 2, "mlp" }, { 3, "mlp" },
        { 1, "logreg" }, { 2, "logreg" }, { 3, "logreg" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Sync_cluster_weights_equal_the_reference_for_1_2_4_and_8_workers(int silos, string model)
    {
        var (data, options) = model == "mlp"
            ? (new DataSpec("digits"), new TrainOptions { Model = "mlp", Hidden = [32], Epochs = 3 })
            : (new DataSpec("breast-cancer"), new TrainOptions { Model = "logreg", Epochs = 3 });
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(silos);

        foreach (var workers in new[] { 1, 2, 4, 8 })
        {
            var result = await Training.OnCluster(cluster.Grains, data, options, workers);
            Assert.True(reference.WeightsSha256 == result.WeightsSha256, $"{model}, {silos} silos, {workers} workers: the weights differ from the reference");
            Assert.Equal(reference.Test!.Accuracy, result.Test!.Accuracy);
            Assert.Equal(reference.Epochs.Select(e => e.TrainLoss), result.Epochs.Select(e => e.TrainLoss));
            Assert.Equal(reference.Epochs.Select(e => e.Validation!.Loss), result.Epochs.Select(e => e.Validation!.Loss));
        }
    }

    /// <summary>
    /// LeNet with dropout on 28 × 28 images: convolutions, pooling and the masks (drawn from the step
    /// and each row's index, not from who computes the row) keep the contract on 1 to 3 silos.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Lenet_with_dropout_on_a_cluster_gives_the_reference_weights_on_1_2_and_4_workers(int silos)
    {
        var data = new DataSpec(SmallFashion.Folder);
        var options = new TrainOptions { Model = "lenet", Dropout = 0.3, Epochs = 2, Batch = 32 };
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(silos);
        foreach (var workers in new[] { 1, 2, 4 })
        {
            var result = await Training.OnCluster(cluster.Grains, data, options, workers);
            Assert.True(reference.WeightsSha256 == result.WeightsSha256, $"lenet, {silos} silos, {workers} workers: the weights differ from the reference");
            Assert.Equal(reference.Epochs.Select(e => e.TrainLoss), result.Epochs.Select(e => e.TrainLoss));
        }
        Assert.NotEqual(reference.WeightsSha256, Training.Reference(data, options with { Dropout = 0 }).WeightsSha256);
    }

    /// <summary>A cnn with average pooling and dropout, on a sharded server (shards cut its conv tensors) with LARS's per-layer norms.</summary>
    [Fact]
    public async Task A_cnn_with_lars_on_a_sharded_parameter_server_gives_the_reference_weights()
    {
        var data = new DataSpec(SmallFashion.Folder);
        var options = new TrainOptions
        {
            Model = "cnn", Layers = "conv5x5x8p2,pool2,conv3x3x16s2,avgpool2,dense64", Pool = "max", Activation = "tanh", Dropout = 0.2,
            Epochs = 2, Batch = 64, Optimizer = "lars", LearningRate = 2, TrustCoefficient = 0.01, WeightDecay = 1e-4,
        };
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(2);
        Assert.Equal(reference.WeightsSha256, (await Training.OnCluster(cluster.Grains, data, options, workers: 3, psShards: 3)).WeightsSha256);
    }

    /// <summary>
    /// Both kernels --kernel auto can end with keep the contract: OpenBLAS with the core type chosen for
    /// this machine (and checked), and the managed kernel it falls back to. Each against the reference
    /// trainer on the same kernel, on a small convolutional network (a dense layer's products are the
    /// product's own, but a convolution's GEMMs are the kernel's): the two kernels' bits differ from each other.
    /// </summary>
    [Theory]
    [InlineData("openblas")]
    [InlineData("managed")]
    public async Task The_chosen_openblas_core_and_the_managed_fallback_each_give_the_reference_weights_on_1_2_and_4_workers(string kernel)
    {
        var (data, options) = (new DataSpec("digits"), new TrainOptions { Model = "cnn", InputShape = [1, 8, 8], Layers = "conv3x3x4,maxpool2,dense16", Epochs = 2 });
        var reference = Training.Reference(data, options, kernel);
        var cluster = await clusters.WithSilos(2);
        foreach (var workers in new[] { 1, 2, 4 })
        {
            var result = await Training.OnCluster(cluster.Grains, data, options, workers, kernel: kernel);
            Assert.True(reference.WeightsSha256 == result.WeightsSha256, $"{kernel}, {workers} workers: the weights differ from the reference");
        }
        var other = Training.Reference(data, options, kernel == "openblas" ? "managed" : "openblas");
        Assert.NotEqual(reference.WeightsSha256, other.WeightsSha256);
    }

    [Fact]
    public async Task Lars_with_a_scaled_and_warmed_up_learning_rate_keeps_the_contract()
    {
        var data = new DataSpec("digits");
        var options = new TrainOptions
        {
            Hidden = [32], Epochs = 3, Batch = 256, LearningRate = 2, Optimizer = "lars", TrustCoefficient = 0.01,
            WeightDecay = 1e-4, LrScaling = "linear", BaseBatch = 128, WarmupEpochs = 1,
        };
        var reference = Training.Reference(data, options);
        Assert.True(reference.Test!.Accuracy > 0.9, $"LARS on digits: test accuracy {reference.Test.Accuracy}");
        var cluster = await clusters.WithSilos(2);
        Assert.Equal(reference.WeightsSha256, (await Training.OnCluster(cluster.Grains, data, options, workers: 2)).WeightsSha256);
    }

    /// <summary>
    /// A sharded parameter server: shards cut tensors anywhere on the 1024-element grid (the digits MLP
    /// 64-32-10 has 2,410 parameters; its first weight matrix spans shards), with SGD, momentum and
    /// weight decay, and with LARS, whose norms are added up from the shards' chunk partials.
    /// </summary>
    [Theory]
    [InlineData("sgd", 2, 1)]
    [InlineData("sgd", 3, 2)]
    [InlineData("sgd", 3, 3)]
    [InlineData("lars", 2, 2)]
    [InlineData("lars", 3, 3)]
    public async Task A_sharded_parameter_server_gives_the_unsharded_weights(string optimizer, int shards, int workers)
    {
        var data = new DataSpec("digits");
        var options = new TrainOptions
        {
            Hidden = [32], Epochs = 2, Batch = 128, Optimizer = optimizer, WeightDecay = 1e-4,
            LearningRate = optimizer == "lars" ? 2 : 0.05, TrustCoefficient = 0.01,
        };
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(2);
        var sharded = await Training.OnCluster(cluster.Grains, data, options, workers, psShards: shards);
        Assert.Equal(reference.WeightsSha256, sharded.WeightsSha256);
        Assert.Equal(reference.Epochs.Select(e => e.TrainLoss), sharded.Epochs.Select(e => e.TrainLoss));
        Assert.All(sharded.Epochs, e => Assert.True(e.Stats.NoiseScale > 0));
    }

    [Fact]
    public async Task Worker_counts_that_are_not_powers_of_two_keep_the_contract()
    {
        var data = new DataSpec("digits");
        var options = new TrainOptions { Hidden = [16], Epochs = 2, Partitions = 7, Batch = 70 };
        var reference = Training.Reference(data, options);
        var cluster = await clusters.WithSilos(2);
        foreach (var workers in new[] { 3, 5, 7 })
            Assert.Equal(reference.WeightsSha256, (await Training.OnCluster(cluster.Grains, data, options, workers)).WeightsSha256);
    }

    [Fact]
    public async Task Three_jobs_at_once_on_one_cluster_each_finish_with_their_solo_hash()
    {
        var jobs = new (DataSpec Data, TrainOptions Options, int Workers)[]
        {
            (new DataSpec("digits"), new TrainOptions { Hidden = [24], Epochs = 3 }, 2),
            (new DataSpec("breast-cancer"), new TrainOptions { Model = "logreg", Epochs = 4, Batch = 32 }, 3),
            (new DataSpec("digits", Seed: 7), new TrainOptions { Model = "softmax", Epochs = 3, Seed = 7, Partitions = 4 }, 4),
        };
        var cluster = await clusters.WithSilos(2);
        var results = await Task.WhenAll(jobs.Select((j, i) => Training.OnCluster(cluster.Grains, j.Data, j.Options, j.Workers, job: $"concurrent-{i}")));
        for (var i = 0; i < jobs.Length; i++)
            Assert.Equal(Training.Reference(jobs[i].Data, jobs[i].Options).WeightsSha256, results[i].WeightsSha256);
    }

    [Fact]
    public async Task Workers_spread_over_the_silos()
    {
        var cluster = await clusters.WithSilos(3);
        var spec = new Messages.JobSpec("spread-" + Guid.NewGuid().ToString("N")[..6], new DataSpec("digits"), new TrainOptions { Epochs = 1 }, "sync", 6, 0, "auto");
        var runner = await Client.Cluster.ClusterJob.StartAsync(cluster.Grains, spec);
        try
        {
            var silos = runner.Info.Workers.Select(w => w.Silo).ToArray();
            Assert.Equal(3, silos.Distinct().Count());
            Assert.Equal(silos[..3], silos[3..]); // worker i on silo i mod 3
            Assert.Equal(silos[0], runner.Info.ParameterServerSilo);
            Assert.Equal(Enumerable.Range(0, 6).Select(i => 8 * i / 6), runner.Info.FirstPartitions);
        }
        finally
        {
            await runner.FinishAsync();
        }
    }
}
