using System.Diagnostics;
using Trainer.Core;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>The parameter server with its parameters split over shard grains (--ps-shards, sync mode).</summary>
public sealed partial class ParameterServerGrain
{
    /// <summary>
    /// One synchronous step with a sharded server (ps-lite style): workers pull the weights from the
    /// shards and push them their slices of the block sums; the losses come here for the divergence
    /// guard; every shard completes its part of the tree (reporting LARS's norm partials), then,
    /// with the step judged finite and the trust ratios known, applies its part of the update.
    /// </summary>
    private async Task<(double Loss, int Rows, double Compute, double RoundTrip, double Update)> ShardedStep(Job job, int epoch)
    {
        using var span = StepSpan(job, epoch);
        var clock = Stopwatch.StartNew();
        var (s, step, shards) = (job.StepInEpoch, job.Step, job.Shards!);
        var parts = await WithWorkers(job, w => job.Workers[w].ComputeShardedGradient(epoch, s, step, shards, job.ShardPlan!.Starts));
        var roundTrip = clock.Elapsed.TotalSeconds;

        var update = Stopwatch.StartNew();
        var losses = new double[job.Partitions];
        var norms = new double[job.Partitions];
        for (var w = 0; w < parts.Length; w++)
        {
            parts[w].Losses.CopyTo(losses, job.Ranges[w].First);
            parts[w].SquaredNorms.CopyTo(norms, job.Ranges[w].First);
        }
        double loss = 0;
        foreach (var l in losses) loss += l;
        var rows = parts.Sum(p => p.Rows);
        var learningRate = job.Schedule.At(step);
        JobFaultFilter.Translate(() => { job.Guard.CheckLoss(loss, rows, step, epoch, learningRate); return 0; });

        var reduced = await Task.WhenAll(shards.Select(shard => shard.Reduce(step, rows)));
        if (reduced.Any(r => !r.Finite))
            JobFaultFilter.Translate<int>(() => throw new TrainingDivergedException(step + 1, epoch, learningRate, "the gradient is not finite"));
        var ratios = job.Optimiser is LarsOptimizer lars ? TrustRatios(lars, job.Network.Tensors, reduced) : null;
        await Task.WhenAll(shards.Select(shard => shard.Update(step, learningRate, ratios)));
        var meanSquaredNorm = reduced.Sum(r => r.MeanSquaredNorm);
        StepUpdate.ObserveNoise(job.Noise, norms, rows, meanSquaredNorm);
        job.LastGradientNorm = Math.Sqrt(meanSquaredNorm);
        return (loss, rows, parts.Max(p => p.ComputeSeconds), roundTrip, update.Elapsed.TotalSeconds);
    }

    /// <summary>LARS's λ per whole tensor from the shards' chunk partials, taken in shard order, which is chunk order.</summary>
    private static double[] TrustRatios(LarsOptimizer lars, IReadOnlyList<ParameterTensor> tensors, ShardReduced[] reduced) =>
        tensors.Select((tensor, t) => tensor.IsBias ? 1 : lars.TrustRatio(
            reduced.SelectMany(r => r.Norms.Where(n => n.Tensor == t).SelectMany(n => n.Weight)),
            reduced.SelectMany(r => r.Norms.Where(n => n.Tensor == t).SelectMany(n => n.Gradient)))).ToArray();

    /// <summary>The shards take the job's weights and velocity (at start, and from a checkpoint on resume).</summary>
    private static async Task LoadShards(Job job)
    {
        if (job.Shards is not { } shards) return;
        var plan = job.ShardPlan!;
        var velocity = job.Optimiser.Velocity;
        await Task.WhenAll(shards.Select((shard, s) =>
        {
            var (start, length) = plan.Range(s);
            return shard.Load(new ShardSetup(job.Spec.Job, s, shards.Length, job.Spec.Options, job.Info.Data.Features, job.Info.Data.Classes, job.Partitions),
                new FloatVector(job.Weights[start..(start + length)]), velocity.Length == 0 ? null : new FloatVector(velocity[start..(start + length)]));
        }));
    }

    /// <summary>Brings this grain's copy of the weights and velocity up to date from the shards (for checkpoints and the client).</summary>
    private static async Task GatherShards(Job job)
    {
        if (job.Shards is not { } shards) return;
        var weights = await Task.WhenAll(shards.Select(s => s.Weights()));
        var velocity = await Task.WhenAll(shards.Select(s => s.Velocity()));
        for (var s = 0; s < shards.Length; s++)
        {
            weights[s].Values.CopyTo(job.Weights, job.ShardPlan!.Starts[s]);
            velocity[s]?.Values.CopyTo(job.Optimiser.Velocity, job.ShardPlan.Starts[s]);
        }
    }
}
