using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Tests.Support;
using Trainer.Grains.Workers;

namespace Trainer.Grains.Tests;

/// <summary>
/// What only the cluster calls refuses a client: a trainer (or anyone who reaches a gateway) cannot
/// drive a worker or a shard, forge a job's report to the registry, or tell the jobs a silo is leaving.
/// Each refusal is one line, before the grain runs any of it.
/// </summary>
public sealed class ClusterInternalTests
{
    [Fact]
    public async Task A_client_cannot_call_workers_shards_reports_or_a_silos_leaving()
    {
        var ports = ChildProcess.FreePorts(2);
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var connection = await ClusterConnection.ConnectAsync(ClusterSpec.Parse($"localhost:{ports[1]}"));
        var grains = connection.Grains;
        var data = new DataSpec("digits");

        async Task Refused(Func<Task> call, string method)
        {
            var fault = await Assert.ThrowsAsync<JobFaultException>(call);
            Assert.Equal(JobFaultException.UserError, fault.Kind);
            Assert.Equal($"{method} is called by the cluster's own grains only, not by a client", fault.Message);
        }

        await Refused(() => grains.GetGrain<IWorkerGrain>("stranger/0").Load(new WorkerLoad("stranger", data, new TrainOptions(), "managed")),
            "IWorkerGrain.Load");
        await Refused(() => grains.GetGrain<IWorkerGrain>("stranger/0").Release(), "IWorkerGrain.Release");
        await Refused(() => grains.GetGrain<IParameterShardGrain>("stranger/shard/0").Weights(), "IParameterShardGrain.Weights");
        await Refused(() => grains.GetGrain<IJobRegistryGrain>(0).Report(new JobStatus("forged", JobStatus.Running, "mlp", JobMode.Sync, 1, 1, 0, 1, 0, null, 1, 1,
            "somewhere", [], DateTime.UtcNow, DateTime.UtcNow)), "IJobRegistryGrain.Report");
        var leaving = (await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.Single();
        await Refused(() => grains.GetGrain<IJobRegistryGrain>(0).SiloLeaving(leaving, TimeSpan.FromSeconds(1)), "IJobRegistryGrain.SiloLeaving");
        await Refused(() => grains.GetGrain<IParameterServerGrain>("stranger").SiloLeaving(leaving), "IParameterServerGrain.SiloLeaving");

        // what a trainer may ask is still answered: the registry's list (without the forged job)
        Assert.DoesNotContain((await grains.GetGrain<IJobRegistryGrain>(0).List()).Jobs, j => j.Job == "forged");
    }
}
