using System.Diagnostics;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The parameter server with its parameters split over shard grains beside the workers (--ps-shards,
/// sync mode, as ps-lite does): workers pull the weights from the shards and push them their slices
/// of the block sums. With SGD each shard applies its part of the update as soon as its slices cover
/// every partition, and the workers have already asked it for the next step's weights: the server
/// only hears the losses (for the divergence guard) and how each shard went. With LARS every shard
/// completes its part of the tree (reporting its norm partials), then, with the step judged finite
/// and the trust ratios known, applies its part. The server's own weights and velocity are a copy,
/// brought up to date from the shards for evaluation and checkpoints.
/// </summary>
public sealed partial class ServerJob
{
    private IParameterShardGrain[]? _shards;
    private SiloAddress[] _shardSilos = [];
    private ShardPlan? _shardPlan;

    private async Task<StepTimes> ShardedStep(int epoch, ActivityContext parent)
    {
        using var span = TrainerTelemetry.StartStep(Spec.Job, epoch, _update.State.Step, parent);
        var clock = Stopwatch.StartNew();
        var (s, step, shards) = (State.StepInEpoch, _update.State.Step, _shards!);
        var parts = await _pool.CallAsync((_, worker) => worker.ComputeShardedGradient(epoch, s, step, shards, _shardPlan!.Starts, _shardSilos));
        var roundTrip = clock.Elapsed.TotalSeconds;

        var update = Stopwatch.StartNew();
        var losses = new double[Info.Partitions];
        var norms = new double[Info.Partitions];
        foreach (var part in parts)
        {
            part.Losses.CopyTo(losses, part.FirstPartition);
            part.SquaredNorms.CopyTo(norms, part.FirstPartition);
        }
        double loss = 0;
        foreach (var l in losses) loss += l;
        var rows = parts.Sum(p => p.Rows);
        var learningRate = _update.LearningRate;
        _update.CheckLoss(loss, rows, epoch);

        ShardReduced[] reduced;
        if (_update.Optimiser.ElementWise) // the shards applied the step when its last slice came
        {
            reduced = await Task.WhenAll(shards.Select(shard => shard.Applied(step)));
            if (reduced.Any(r => !r.Finite)) throw DivergenceGuard.NonFiniteGradient(step, epoch, learningRate);
        }
        else
        {
            reduced = await Task.WhenAll(shards.Select(shard => shard.Reduce(step, rows)));
            if (reduced.Any(r => !r.Finite)) throw DivergenceGuard.NonFiniteGradient(step, epoch, learningRate);
            var ratios = TrustRatios((LarsOptimizer)_update.Optimiser, Network.Tensors, reduced);
            await Task.WhenAll(shards.Select(shard => shard.Update(step, learningRate, ratios)));
        }
        var meanSquaredNorm = reduced.Sum(r => r.MeanSquaredNorm);
        _update.Advance(norms, rows, meanSquaredNorm);
        LastGradientNorm = Math.Sqrt(meanSquaredNorm);
        return new StepTimes(loss, rows, parts.Max(p => p.ComputeSeconds), roundTrip, update.Elapsed.TotalSeconds);
    }

    /// <summary>LARS's λ per whole tensor from the shards' chunk partials, taken in shard order, which is chunk order.</summary>
    private static double[] TrustRatios(LarsOptimizer lars, IReadOnlyList<ParameterTensor> tensors, ShardReduced[] reduced) =>
        tensors.Select((tensor, t) => tensor.IsBias ? 1 : lars.TrustRatio(
            reduced.SelectMany(r => r.Norms.Where(n => n.Tensor == t).SelectMany(n => n.Weight)),
            reduced.SelectMany(r => r.Norms.Where(n => n.Tensor == t).SelectMany(n => n.Gradient)))).ToArray();

    /// <summary>The shards take the job's weights and velocity (at start, and from a checkpoint on resume).</summary>
    private async Task LoadShardsAsync(IGrainFactory grains, ShardPlan plan)
    {
        _shardPlan = plan;
        _shards = Enumerable.Range(0, plan.Shards).Select(s => grains.GetGrain<IParameterShardGrain>($"{Spec.Job}/shard/{s}")).ToArray();
        var velocity = _update.State.Velocity;
        _shardSilos = await Task.WhenAll(_shards.Select((shard, s) =>
        {
            var (start, length) = plan.Range(s);
            return shard.Load(new ShardSetup(Spec.Job, s, plan.Shards, Spec.Options, Info.Data.Features, Info.Data.Classes, Info.Partitions, Info.Data.ImageShape,
                    StepsPerEpoch, _update.State.Step),
                new FloatVector(Weights[start..(start + length)]), velocity.Length == 0 ? null : new FloatVector(velocity[start..(start + length)]));
        }));
    }

    /// <summary>Brings the server's copy of the weights and velocity up to date from the shards.</summary>
    public async Task GatherShardsAsync()
    {
        if (_shards is not { } shards) return;
        var weights = await Task.WhenAll(shards.Select(s => s.Weights()));
        var velocity = await Task.WhenAll(shards.Select(s => s.Velocity()));
        for (var s = 0; s < shards.Length; s++)
        {
            weights[s].Values.CopyTo(Weights, _shardPlan!.Starts[s]);
            velocity[s]?.Values.CopyTo(_update.State.Velocity, _shardPlan.Starts[s]);
        }
    }
}
