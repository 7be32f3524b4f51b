using Microsoft.Extensions.DependencyInjection;
using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;
using Trainer.Grains.Workers;

namespace Trainer.Grains.Tests;

/// <summary>
/// A silo that shuts down takes only its own activations with it. Orleans's default grain directory
/// deactivated every activation whose directory entry the stopping silo held, on every other silo:
/// about a third of a job's workers in a three-silo cluster answered the next step with "has no job"
/// (the SIGTERM handover's retried call, one run in a few). The product runs Orleans's consistent
/// directory, which hands the entries over instead (docs/architecture.md, Orleans facts).
/// </summary>
public sealed class GrainDirectoryTests
{
    [Fact]
    public async Task Workers_on_the_other_silos_keep_their_state_when_a_silo_shuts_down()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(3);
        var grains = cluster.GrainsOf(0);
        var silos = cluster.Hosts.Select(h => h.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress).ToArray();
        var data = new DataSpec("digits", ValFraction: 0);
        var options = new TrainOptions { Hidden = [8], Batch = 16, Partitions = 2, Threads = 1 };
        var network = new Network(ReferenceTrainer.SpecFor(options, DataLoader.Prepare(data, ModelSpec.LabelRuleFor(options.Model, options.Task))));
        var weights = new FloatVector(network.Initialise(options.Seed));

        // enough workers on silos 0 and 1 that some of their directory entries hash to silo 2 (each does with odds 1/3)
        const int workers = 24;
        var job = "directory-" + Guid.NewGuid().ToString("N")[..6];
        var pool = Enumerable.Range(0, workers).Select(i => grains.GetGrain<IWorkerGrain>(SpreadPlacementDirector.OnSilo($"{job}/{i}", silos[i % 2]))).ToArray();
        await Task.WhenAll(pool.Select(async (worker, i) =>
        {
            var shape = await worker.Load(new WorkerLoad(job, data, options, "managed"));
            Assert.Equal(silos[i % 2].ToString(), shape.Silo);
            await worker.Setup(new WorkerSetup(job, i, workers, 0, 1, data, options, "managed"));
        }));

        await cluster.StopSiloAsync(2);

        var answers = await Task.WhenAll(pool.Select(async worker =>
        {
            try { return (await worker.ComputeGradient(1, 0, 0, 0, weights)).Rows > 0 ? null : "no rows"; }
            catch (Exception e) { return e.GetBaseException().Message; }
        }));
        var lost = answers.Where(a => a is not null).ToArray();
        Assert.True(lost.Length == 0, $"{lost.Length} of {workers} workers lost their state: {string.Join("; ", lost.Distinct())}");
        await Task.WhenAll(pool.Select(w => w.Release()));
    }
}
