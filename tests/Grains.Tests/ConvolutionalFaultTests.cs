using Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// LeNet with dropout losing a worker's silo in the middle of an epoch (three silos with Redis
/// membership, as in <see cref="FaultToleranceTests"/>): the replaced worker draws the lost one's
/// masks again, so the job ends with the fault-free weights, which are the reference trainer's.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConvolutionalFaultTests
{
    /// <summary>Stops a silo at the first progress report in the middle of epoch 2.</summary>
    private sealed class StopMidEpoch(Func<Task> stop) : ITrainingObserver
    {
        private Task? _stopping;
        public Task Stopping => _stopping ?? Task.CompletedTask;
        public bool Stopped { get; private set; }

        public void StepCompleted(int epoch, int step, int steps, double loss)
        {
            if (epoch == 2 && _stopping is null && step > 0 && step < steps)
                _stopping = Task.Run(async () => { await stop(); Stopped = true; });
        }
    }

    [Fact]
    public async Task Lenet_with_dropout_losing_a_worker_silo_mid_epoch_ends_with_the_reference_weights()
    {
        var data = new DataSpec(SmallFashion.LargerFolder);
        var options = new TrainOptions { Model = "lenet", Dropout = 0.3, Epochs = 3, Batch = 32 };
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await EmbeddedCluster.StartAsync(3, redis: redis.Endpoint);
        // silos in address order: the server and worker 0 on the first, worker 1 on the second, the client on the third
        var silos = cluster.Hosts.Select(h => h.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()).ToList();
        var ordered = silos.Order(StringComparer.Ordinal).ToList();
        var grains = cluster.GrainsOf(silos.IndexOf(ordered[2]));

        var observer = new StopMidEpoch(() => cluster.StopSiloAsync(silos.IndexOf(ordered[1])));
        var result = await Training.OnCluster(grains, data, options, workers: 3, observer: observer, checkpointEvery: 100);
        await observer.Stopping;

        Assert.True(observer.Stopped, "a silo was stopped in the middle of epoch 2");
        Assert.Equal(2, cluster.Hosts.Count);
        Assert.Equal(Training.Reference(data, options).WeightsSha256, result.WeightsSha256);
    }
}
