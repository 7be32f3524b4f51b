using System.Diagnostics;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>Which held-out part of the data to score.</summary>
public enum DataPart { Validation, Test }

/// <summary>
/// What one epoch of training did, with the step time split into its parts, the gradient noise
/// scale B_simple as estimated at the epoch's end (null when it cannot be measured: one partition),
/// the workers and silos it ended on (a cluster's), the worker calls asked again of a replacement,
/// the checkpoints it had to put off while their store was unreachable, its global batch and, under
/// --batch auto, its schedule entry (batch, learning-rate gain, the decision's inputs).
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
    double? NoiseScale = null,
    int Workers = 1,
    string[]? Silos = null,
    int RetriedCalls = 0,
    int DeferredCheckpoints = 0,
    int Batch = 0,
    Scaling.BatchEpoch? AutoBatch = null);

/// <summary>
/// The part of training that differs between one process and a cluster: running an epoch's steps
/// (gradient, update) on the runner's own weights, and scoring held-out data. <see cref="TrainingLoop"/>
/// does the rest, identically for both (in the trainer's process for the local trainer, on the
/// parameter server for a cluster).
/// </summary>
public interface IEpochRunner
{
    Network Network { get; }
    int StepsPerEpoch { get; }

    /// <summary>The current weights: the runner's own, read by the loop (early stopping copies the best), never written by it.</summary>
    float[] Weights { get; }

    /// <summary>
    /// Before an epoch (or the rest of one, after a resume): a runner under --batch auto takes the
    /// epoch's batch from its schedule, deciding it from <paramref name="done"/> and its noise
    /// statistics when the schedule has no entry for it yet (<see cref="Scaling.BatchSchedule.For"/>).
    /// </summary>
    Task BeginEpochAsync(int epoch, IReadOnlyList<EpochReport> done, CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>Runs the epoch's remaining steps, yielding progress; the last item carries the epoch's statistics.</summary>
    /// <param name="parent">The epoch's span: every step's span goes under it.</param>
    IAsyncEnumerable<EpochProgress> RunEpochAsync(int epoch, ActivityContext parent, CancellationToken cancellation);

    /// <summary>Metric sums of a held-out part scored with these weights (the runner's own, or the best copy), combined in chunk order.</summary>
    Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation);

    /// <summary>An epoch is done and judged: a runner that checkpoints keeps the loop's state now.</summary>
    Task EpochJudgedAsync(CancellationToken cancellation) => Task.CompletedTask;
}
