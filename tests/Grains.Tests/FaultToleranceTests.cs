using Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// Silos lost in the middle of an epoch, in-process: three silos with Redis membership and
/// checkpoints (so no silo is a single point of failure); the client reaches the cluster through a
/// silo that is not stopped. In sync mode the job must finish with the fault-free weights.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FaultToleranceTests
{
    private static readonly DataSpec Data = new("fashion-mnist", ValFraction: 0.05);
    private static readonly TrainOptions Options = new() { Model = "softmax", Epochs = 3, Batch = 16, LearningRate = 0.05, Momentum = 0.9 }; // epochs of seconds: the progress events (every 200 ms) fall inside epoch 2

    /// <summary>Stops a silo once epoch 2 has made progress, and reports when the next step after that completed.</summary>
    private sealed class StopMidEpoch(Func<Task> stop) : ITrainingObserver
    {
        private Task? _stopping;
        public Task Stopping => _stopping ?? Task.CompletedTask;
        public DateTime? StoppedAt { get; private set; }
        public DateTime? NextStepAt { get; private set; }

        public void StepCompleted(int epoch, int step, int steps, double loss)
        {
            if (epoch == 2 && _stopping is null && step > 0 && step < steps)
                _stopping = Task.Run(async () => { await stop(); StoppedAt = DateTime.UtcNow; });
            else if (StoppedAt is not null && NextStepAt is null) NextStepAt = DateTime.UtcNow;
        }
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("parameter server")]
    [InlineData("parameter-server shard")]
    public async Task Losing_a_silo_mid_epoch_still_ends_with_the_fault_free_weights(string lost)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await EmbeddedCluster.StartAsync(3, redis: redis.Endpoint);
        // Placement is deterministic: silos in address order; the server with worker 0 (and shard 0) on the first, worker 1 (and shard 1) on the second.
        var silos = cluster.Hosts.Select(h => h.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()).ToList();
        var ordered = silos.Order(StringComparer.Ordinal).ToList();
        var victim = silos.IndexOf(lost == "parameter server" ? ordered[0] : ordered[1]);
        var shards = lost == "parameter-server shard" ? 3 : 1;
        var client = silos.IndexOf(ordered[2]);
        var grains = cluster.GrainsOf(client);

        var faultFree = await Training.OnCluster(grains, Data, Options, workers: 3, job: "fault-free-" + Guid.NewGuid().ToString("N")[..6], psShards: shards);

        var observer = new StopMidEpoch(() => cluster.StopSiloAsync(victim));
        var result = await Training.OnCluster(grains, Data, Options, workers: 3, observer: observer, checkpointEvery: 100, psShards: shards);
        await observer.Stopping;

        Assert.NotNull(observer.StoppedAt);
        Assert.Equal(2, cluster.Hosts.Count);
        Assert.Equal(faultFree.WeightsSha256, result.WeightsSha256);
        Assert.Equal(faultFree.Test!.Accuracy, result.Test!.Accuracy);
    }
}
