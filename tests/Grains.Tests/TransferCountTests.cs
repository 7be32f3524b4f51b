using Trainer.Client.Cluster;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Bench;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// What crosses the wire between processes in a job, counted by the transport of two silo processes:
/// in sync mode only the per-step vectors (the weights to the worker on the other silo, its block sum
/// back), the last epoch's evaluation weights and the result the trainer asks for once. The server
/// keeps the weights: nothing goes to the trainer and back per epoch.
/// </summary>
public sealed class TransferCountTests
{
    [Fact]
    public async Task A_process_clusters_epochs_move_only_the_per_step_vectors_and_the_result_once()
    {
        var ports = ChildProcess.FreePorts(4);
        await using var primary = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var second = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}");
        // the trainer talks to the silo that places the parameter server (the first in address order), so nothing is forwarded
        var first = ports[0] < ports[2] ? ports[1] : ports[3];
        await using var connection = await ClusterConnection.ConnectAsync(new ClusterSpec(ClusterSpec.Localhost, GatewayPorts: [first]));

        const int epochs = 3;
        var options = new TrainOptions { Hidden = [2048], Epochs = epochs, Batch = 256, Threads = 1 };
        // the even cut (4 4), each range one aligned subtree, so one block sum per worker: under load the balancer may
        // cut 3 5, and worker 1's range [3, 8) then sends two block sums per step ([3] and [4, 8)), which is right but not this count
        var spec = new JobSpec("transfers-" + Guid.NewGuid().ToString("N")[..6], new DataSpec("digits"), options, JobMode.Sync, 2, 0, "openblas", Rebalance: false);
        var before = await Traffic(connection.Grains);
        var job = await ClusterJob.StartAsync(connection.Grains, spec);
        Assert.Equal(2, job.Info.Workers.Select(w => w.Silo).Distinct().Count());
        Assert.Equal(job.Info.ParameterServerSilo, job.Info.Workers[0].Silo);
        var result = await job.RunAsync(SilentObserver.Instance, CancellationToken.None);
        var vectorBytes = 4L * job.Info.ParameterCount; // 614 KB: the messages of a step besides its vectors are a few KB
        var steps = job.Info.StepsPerEpoch * epochs;
        // per step: the weights to worker 1 and its one block sum back (worker 0 shares the server's silo, so no wire);
        // the evaluation after an epoch sends worker 1 the new weights, which the next epoch's first step then uses:
        // so only the last epoch's evaluation is extra; and the trainer receives the result once
        var expected = 2 * steps + 1 + 1;
        // a connection counts what it sent once its send has completed, which can be after the receiver
        // has acted on it: read the counters until they reach the expected count (or a deadline), then compare
        long crossed = 0;
        await Eventually.Until(async () =>
        {
            var after = await Traffic(connection.Grains);
            crossed = (after.Silo - before.Silo) + (after.Gateway - before.Gateway);
            return crossed / vectorBytes >= expected;
        }, TimeSpan.FromSeconds(10), () => $"{crossed / vectorBytes} vectors crossed, expected {expected}");
        await job.FinishAsync();
        Assert.Equal(expected, crossed / vectorBytes);
        Assert.Equal(epochs, result.Epochs.Count);
        Assert.Equal(Training.Reference(spec.Data, options).WeightsSha256, result.WeightsSha256);
    }

    /// <summary>Bytes sent between the silos, and both ways on their gateways (the trainer's connection), summed over both processes.</summary>
    private static async Task<(long Silo, long Gateway)> Traffic(IGrainFactory grains)
    {
        var probes = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => grains.GetGrain<ITransportProbeGrain>($"traffic/{i}").Traffic()));
        Assert.Equal(2, probes.Select(p => p.Silo).Distinct().Count());
        return (probes.Sum(p => p.SiloSent), probes.Sum(p => p.GatewaySent + p.GatewayReceived));
    }
}
