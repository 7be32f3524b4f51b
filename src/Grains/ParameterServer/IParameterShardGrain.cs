using Orleans.Concurrency;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// One key range of a job's parameters and its optimiser state (<c>--ps-shards</c>), placed beside a
/// worker. Workers pull the range's weights and push their block sums' slices of it. With SGD the
/// shard completes its part of the tree and applies its part of the update as soon as the slices of
/// a step cover every partition (a reduce-scatter, then the workers' pulls are the all-gather); the
/// parameter server only hears how it went. With LARS, whose trust ratios need every shard's norms,
/// the server has every shard reduce, then update. Shards call no grain, so nothing waits in a cycle.
/// Keyed "job/shard/s".
/// </summary>
[Alias("trainer.parameter-shard"), Admission.ClusterInternal]
public interface IParameterShardGrain : IGrainWithStringKey
{
    /// <summary>Takes the range's weights (and velocity, on resume) and sets up its part of the update rule; returns the silo it is on.</summary>
    [Alias("load"), ResponseTimeout("00:02:00")]
    Task<SiloAddress> Load(ShardSetup setup, FloatVector weights, FloatVector? velocity);

    /// <summary>The range's current weights.</summary>
    [Alias("weights")]
    Task<FloatVector> Weights();

    /// <summary>
    /// The range's weights to compute global step <paramref name="step"/> with, once they are there (the
    /// step before it applied), or those of the step before when a worker computes that one again. By
    /// handle to a <paramref name="reader"/> in this process.
    /// </summary>
    [Alias("weights-for"), AlwaysInterleave]
    Task<FloatVector> WeightsFor(long step, SiloAddress? reader);

    /// <summary>How step <paramref name="step"/> went here once its update is applied (SGD: when its slices cover every partition).</summary>
    [Alias("applied"), AlwaysInterleave]
    Task<ShardReduced> Applied(long step);

    /// <summary>The range's optimiser velocity (null without momentum): for checkpoints.</summary>
    [Alias("velocity")]
    Task<FloatVector?> Velocity();

    /// <summary>A worker's block sums of step <paramref name="step"/>, cut to this range. Pushing the same blocks again replaces them.</summary>
    [Alias("push")]
    Task Push(long step, StepSums slice);

    /// <summary>Completes this range's part of the tree for the step and divides by its rows; keeps the mean for <see cref="Update"/>.</summary>
    [Alias("reduce")]
    Task<ShardReduced> Reduce(long step, int rows);

    /// <summary>Applies the step's update to the range; <paramref name="trustRatios"/> are LARS's, per whole tensor.</summary>
    [Alias("update")]
    Task Update(long step, double learningRate, double[]? trustRatios);

    [Alias("release")]
    Task Release();
}
