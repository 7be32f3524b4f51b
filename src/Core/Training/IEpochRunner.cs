using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>Which held-out part of the data to score.</summary>
public enum DataPart { Validation, Test }

/// <summary>
/// What one epoch of training did, with the step time split into its parts, and the gradient noise
/// scale B_simple as estimated at the epoch's end (null when it cannot be measured: one partition).
/// </summary>
public sealed record EpochStats(
    int Epoch,
    double LossSum,
    long Rows,
    int Steps,
    double TrainSeconds,
    double ComputeSeconds,
    double CommunicationSeconds,
    double UpdateSeconds,
    long BytesSent,
    double LearningRate,
    double StalenessSum = 0,
    long Updates = 0,
    int MaxStaleness = 0,
    double CheckpointSeconds = 0,
    double? NoiseScale = null);

/// <summary>
/// The part of training that differs between one process and a cluster: running an epoch's steps
/// (gradient, update) and scoring held-out data with given weights. <see cref="TrainingLoop"/>
/// does the rest, identically for both.
/// </summary>
public interface IEpochRunner
{
    Network Network { get; }
    int StepsPerEpoch { get; }

    /// <summary>Runs every step of the epoch; reports progress per step through the observer.</summary>
    Task<EpochStats> RunEpochAsync(int epoch, ITrainingObserver observer, CancellationToken cancellation);

    /// <summary>The current weights (after the last update).</summary>
    Task<float[]> WeightsAsync(CancellationToken cancellation);

    /// <summary>Metric sums of a held-out part scored with these weights (combined in chunk order).</summary>
    Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation);

    /// <summary>An epoch is finished and judged: a runner that checkpoints keeps the loop's state (and new best weights).</summary>
    Task EpochCompletedAsync(LoopState state, float[]? newBestWeights, CancellationToken cancellation) => Task.CompletedTask;
}
