using Trainer.Client.Cluster;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Messages;

namespace Trainer.Grains.Tests.Support;

/// <summary>The same job on the reference trainer and on a cluster, for exact comparisons.</summary>
internal static class Training
{
    public static TrainingResult Reference(DataSpec data, TrainOptions options, string kernel = "openblas") =>
        new ReferenceTrainer(KernelChoice.Select(kernel)).Train(DataLoader.Prepare(data, ModelSpec.LabelRuleFor(options.Model, options.Task)), options);

    public static async Task<TrainingResult> OnCluster(IGrainFactory grains, DataSpec data, TrainOptions options, int workers,
        string mode = "sync", int staleness = 0, string? job = null, ITrainingObserver? observer = null, int checkpointEvery = 0, int psShards = 1, string kernel = "openblas",
        bool rebalance = true, string wire = JobWire.Float32, int averageEvery = JobSpec.DefaultAverageEvery)
    {
        var spec = new JobSpec(job ?? "test-" + Guid.NewGuid().ToString("N")[..8], data, options with { Threads = 1 }, mode, workers, staleness, kernel,
            checkpointEvery, StepTimeoutSeconds: 20, PsShards: psShards, Rebalance: rebalance, Wire: wire, AverageEvery: averageEvery);
        var cluster = await ClusterJob.StartAsync(grains, spec);
        var result = await cluster.RunAsync(observer ?? SilentObserver.Instance, CancellationToken.None);
        await cluster.FinishAsync();
        return result;
    }
}
