using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// One key range of a job's parameters and its optimiser state (<c>--ps-shards</c>). Workers pull
/// the range's weights and push their block sums' slices of it; the parameter server then has
/// every shard complete its part of the reduction tree and apply its part of the update. Shards
/// call no grain, so nothing waits in a cycle. Keyed "job/shard/s".
/// </summary>
[Alias("trainer.parameter-shard"), Admission.ClusterInternal]
public interface IParameterShardGrain : IGrainWithStringKey
{
    /// <summary>Takes the range's weights (and velocity, on resume) and sets up its part of the update rule.</summary>
    [Alias("load"), ResponseTimeout("00:02:00")]
    Task Load(ShardSetup setup, FloatVector weights, FloatVector? velocity);

    /// <summary>The range's current weights.</summary>
    [Alias("weights")]
    Task<FloatVector> Weights();

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
