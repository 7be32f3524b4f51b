using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Client.Commands.Train;
using Trainer.Core.Data;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>report.json: the fields of the command-line contract (docs/cli.md), camelCase.</summary>
public sealed record RunReport(
    string Job,
    string Model,
    string Dataset,
    int ParameterCount,
    object Options,
    string Kernel,
    string KernelIdentity,
    string Cluster,
    int Silos,
    int Workers,
    int Partitions,
    int PsShards,
    string Mode,
    int GlobalBatch,
    int Threads,
    int TrainRows,
    int ValidationRows,
    int TestRows,
    string[]? ClassNames,
    string? ParameterServerSilo,
    string[] WorkerSilos,
    IReadOnlyList<RunReport.EpochEntry> Epochs,
    int BestEpoch,
    bool StoppedEarly,
    RunReport.TestEntry? Test,
    double SamplesPerSecond,
    double TrainSeconds,
    double WallSeconds,
    long BytesPerStep,
    RunReport.StepTimeEntry StepTime,
    RunReport.StalenessEntry? Staleness,
    RunReport.TargetEntry? Target,
    EarlyStoppingPolicy? EarlyStopping,
    bool Resumed,
    long? ResumedAtStep,
    int Recoveries,
    double PeakMemoryMB,
    string WeightsSha256)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// One epoch, with its global batch; on a cluster also the workers and silos it ended on, the worker
    /// calls asked again and the checkpoints put off. Under --batch auto also its learning-rate gain,
    /// predicted efficiency and goodput, and the decision that chose the batch (its inputs).
    /// </summary>
    public sealed record EpochEntry(
        int Epoch, double TrainLoss, double? ValLoss, double? ValAccuracy, double? ValR2,
        double? TestAccuracy, double? TestR2, double TrainSeconds, double SamplesPerSecond, double LearningRate, double? NoiseScale,
        int? Workers, string[]? Silos, int? RetriedCalls, int? DeferredCheckpoints,
        int Batch = 0, double? LrGain = null, double? Efficiency = null, double? Goodput = null, BatchDecisionEntry? BatchDecision = null);

    /// <summary>--batch auto: how an epoch's batch came about (start, decided, kept, replayed) and what it was decided from.</summary>
    public sealed record BatchDecisionEntry(string Source, double? NoiseScale, double? Trace, double? Signal, double? CostFixedMs, double? CostPerSampleMs);

    public sealed record TestEntry(double Loss, double? Accuracy, double? Mse, double? R2);

    /// <summary>Mean time of a step in milliseconds: gradient computation, time on the wire (and waiting), the server's update, checkpoints.</summary>
    public sealed record StepTimeEntry(double ComputeMs, double CommunicationMs, double UpdateMs, double CheckpointMs);

    /// <summary>--target: the validation value asked for and, once reached, the first epoch that did with the steps and training seconds until its end.</summary>
    public sealed record TargetEntry(double Value, bool Reached, int? Epoch, long? Steps, double? Seconds);

    /// <summary>Async and SSP modes: how many updates happened between a worker's read of the weights and its update.</summary>
    public sealed record StalenessEntry(double Mean, int Max);

    /// <param name="classLabels">The names users read for the classes (<see cref="Trainer.Core.Models.ModelFile.ClassLabels"/>); empty for regression.</param>
    public static RunReport From(string job, DataSpec spec, TrainOptions options, JobRun run, double wallSeconds, string[] classLabels)
    {
        var result = run.Result;
        var epochs = result.Epochs.Select(e => new EpochEntry(
            e.Epoch, e.TrainLoss, e.Validation?.Loss, e.Validation?.Accuracy, e.Validation?.R2,
            e.Test?.Accuracy, e.Test?.R2, e.TrainSeconds, e.SamplesPerSecond, e.LearningRate, e.Stats.NoiseScale,
            e.Stats.Silos is null ? null : e.Stats.Workers, e.Stats.Silos, e.Stats.Silos is null ? null : e.Stats.RetriedCalls,
            e.Stats.Silos is null ? null : e.Stats.DeferredCheckpoints,
            e.Stats.Batch > 0 ? e.Stats.Batch : options.Batch, e.Stats.AutoBatch?.LrGain, e.Stats.AutoBatch?.Efficiency, e.Stats.AutoBatch?.Goodput,
            e.Stats.AutoBatch is { } a ? new BatchDecisionEntry(a.Source, a.NoiseScale, a.Trace, a.Signal, a.CostFixedMs, a.CostPerSampleMs) : null)).ToList();
        var test = result.Test is { } t ? new TestEntry(t.Loss, t.Accuracy, t.Mse, t.R2) : null;
        var stats = result.Epochs.Select(e => e.Stats).ToList();
        var steps = Math.Max(1, stats.Sum(s => s.Steps));
        var stepTime = new StepTimeEntry(
            1000 * stats.Sum(s => s.ComputeSeconds) / steps,
            1000 * stats.Sum(s => s.CommunicationSeconds) / steps,
            1000 * stats.Sum(s => s.UpdateSeconds) / steps,
            1000 * stats.Sum(s => s.CheckpointSeconds) / steps);
        var updates = stats.Sum(s => s.Updates);
        var staleness = run.Mode == "sync" || updates == 0 ? null
            : new StalenessEntry(stats.Sum(s => s.StalenessSum) / updates, stats.Max(s => s.MaxStaleness));

        var target = options.Target is not { } value ? null
            : result.TargetEpoch is not { } reached ? new TargetEntry(value, false, null, null, null)
            : new TargetEntry(value, true, reached, stats.Take(reached).Sum(s => (long)s.Steps), result.Epochs.Take(reached).Sum(e => e.TrainSeconds));

        return new RunReport(job, result.Network.Spec.ToString(), run.Dataset, result.Network.ParameterCount, ReportOptions.From(spec, options, run),
            run.Kernel, run.KernelIdentity, run.Cluster, run.Silos, run.Workers, run.Partitions, run.PsShards, run.Mode, options.Batch, run.Threads,
            run.TrainRows, run.ValidationRows, run.TestRows, classLabels.Length == 0 ? null : classLabels, run.ParameterServerSilo, run.WorkerSilos,
            epochs, result.BestEpoch, result.StoppedEarly, test, result.SamplesPerSecond, result.TrainSeconds, wallSeconds,
            stats.Sum(s => s.BytesSent) / steps, stepTime, staleness, target, result.EarlyStopping, run.ResumedAtStep is not null, run.ResumedAtStep, run.Recoveries,
            Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0), 1), result.WeightsSha256);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}
