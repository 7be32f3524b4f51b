using Trainer.Client.Commands.Train;
using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Output;

/// <summary>
/// report.json's options block: every train option that defines the experiment, as used, under the
/// option's name in camelCase (labelColumn for --label-column), so that the block is a config for
/// 'trainer train --config report.json', which trains the same weights. Options a run's choices make
/// meaningless are left out (hidden for a linear model, workers on --cluster local); so are those that
/// say where a run goes and how it is watched (--job, --out, --checkpoint-dir, TLS, telemetry).
/// </summary>
public static class ReportOptions
{
    /// <summary>Keys that are not options but what the options gave; a config reader accepts and ignores them.</summary>
    public static IReadOnlyList<string> Derived { get; } = ["scaledLr", "preprocessing"];

    public static Dictionary<string, object> From(DataSpec spec, TrainOptions options, JobRun run)
    {
        var mlp = options.Model == ModelSpec.Mlp;
        var convolutional = options.Model is ModelSpec.LeNet or ModelSpec.Cnn;
        var block = new Dictionary<string, object?>
        {
            ["model"] = options.Model,
            ["hidden"] = mlp ? options.Hidden : null,
            ["activation"] = ModelSpec.HasHiddenLayers(options.Model) ? options.Activation : null,
            ["dropout"] = options.Dropout > 0 ? options.Dropout : null,
            ["layers"] = options.Layers,
            ["pool"] = convolutional ? options.Pool : null,
            ["inputShape"] = options.InputShape is { } shape ? string.Join(',', shape) : null,
            ["task"] = mlp ? options.Task : null,
            ["data"] = spec.Data,
            ["test"] = spec.Test,
            ["labelColumn"] = spec.LabelColumn,
            ["delimiter"] = spec.Delimiter,
            ["missing"] = spec.Missing,
            ["ignoreColumns"] = spec.IgnoreColumns,
            ["features"] = spec.Features,
            ["valFraction"] = spec.ValFraction,
            ["testFraction"] = run.TestFraction, // as used: 0 when the data brings its test part
            ["epochs"] = options.Epochs,
            ["batch"] = options.AutoBatch is null ? options.Batch : "auto",
            ["batchMin"] = options.AutoBatch?.Min,
            ["batchMax"] = options.AutoBatch is { Max: > 0 } a ? a.Max : null, // as given: its default is settled where the data is
            ["batchStart"] = options.AutoBatch is null ? null : options.Batch,
            ["batchSchedule"] = options.AutoBatch?.ReplayFile,
            ["batchCost"] = options.AutoBatch?.Cost is { } cost ? FormattableString.Invariant($"{cost.FixedMs:R},{cost.PerSampleMs:R}") : null,
            ["lr"] = options.LearningRate,
            ["optimizer"] = options.Optimizer,
            ["trustCoefficient"] = options.Optimizer == Optimizer.Lars ? options.TrustCoefficient : null,
            ["lrScaling"] = options.LrScaling,
            ["baseBatch"] = options.LrScaling == LearningRateScaling.None ? null : options.BaseBatch,
            ["scaledLr"] = options.ScaledLearningRate,
            ["momentum"] = options.Momentum,
            ["nesterov"] = options.Nesterov,
            ["weightDecay"] = options.WeightDecay,
            ["schedule"] = options.Schedule,
            ["warmupEpochs"] = options.WarmupEpochs,
            ["patience"] = options.Patience, // as given: without it, early stopping decides by the validation set's size
            ["monitor"] = options.Monitor,
            ["minDelta"] = options.MinDelta,
            ["target"] = options.Target,
            ["pastTarget"] = options.Target is null ? null : !options.StopAtTarget,
            ["seed"] = options.Seed,
            ["partitions"] = run.Partitions,
            ["threads"] = run.Threads,
            ["kernel"] = run.Kernel,
            ["cluster"] = run.Cluster,
        };
        if (run.Cluster != ClusterSpec.Local)
        {
            block["workers"] = run.Workers;
            block["mode"] = run.Mode;
            block["staleness"] = run.Mode == JobMode.Ssp ? run.Staleness : null;
            block["averageEvery"] = run.Mode == JobMode.LocalSgd ? run.AverageEvery : null;
            block["psShards"] = run.PsShards;
            block["checkpointEvery"] = run.CheckpointEvery;
            block["stepTimeout"] = run.StepTimeoutSeconds;
            block["rebalance"] = run.Mode == JobMode.Sync && run.PsShards == 1 ? (run.Rebalance ? "on" : "off") : null;
            block["wire"] = run.Wire;
        }
        block["preprocessing"] = run.Preprocessor.Kind;
        return block.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!);
    }
}
