using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>report.json: the fields of the command-line contract (DESIGN.md), camelCase.</summary>
public sealed record RunReport(
    string Job,
    string Model,
    string Dataset,
    int ParameterCount,
    object Options,
    string Kernel,
    string Cluster,
    int Silos,
    int Workers,
    int Partitions,
    string Mode,
    int GlobalBatch,
    int Threads,
    int TrainRows,
    int ValidationRows,
    int TestRows,
    IReadOnlyList<RunReport.EpochEntry> Epochs,
    int BestEpoch,
    bool StoppedEarly,
    RunReport.TestEntry? Test,
    double SamplesPerSecond,
    double TrainSeconds,
    double WallSeconds,
    string WeightsSha256)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public sealed record EpochEntry(
        int Epoch, double TrainLoss, double? ValLoss, double? ValAccuracy, double? ValR2,
        double? TestAccuracy, double? TestR2, double TrainSeconds, double SamplesPerSecond, double LearningRate);

    public sealed record TestEntry(double Loss, double? Accuracy, double? Mse, double? R2);

    public static RunReport From(string job, DataSpec spec, PreparedData data, TrainOptions options, IKernel kernel, TrainingResult result, double wallSeconds)
    {
        var epochs = result.Epochs.Select(e => new EpochEntry(
            e.Epoch, e.TrainLoss, e.Validation?.Loss, e.Validation?.Accuracy, e.Validation?.R2,
            e.Test?.Accuracy, e.Test?.R2, e.TrainSeconds, e.SamplesPerSecond, e.LearningRate)).ToList();
        var test = result.Test is { } t ? new TestEntry(t.Loss, t.Accuracy, t.Mse, t.R2) : null;
        var hyper = new
        {
            options.Model, hidden = options.Model == ModelSpec.Mlp ? options.Hidden : null,
            activation = options.Model == ModelSpec.Mlp ? options.Activation : null,
            data = spec.Data, test = spec.Test, labelColumn = spec.LabelColumn,
            valFraction = spec.ValFraction, testFraction = data.TestFraction,
            options.Epochs, options.Batch, lr = options.LearningRate, options.Momentum, options.Nesterov,
            options.WeightDecay, options.Schedule, options.WarmupEpochs, options.Patience, options.MinDelta,
            options.Seed, options.Partitions, options.Threads, preprocessing = data.Preprocessor.Kind,
        };
        return new RunReport(job, result.Network.Spec.ToString(), data.Train.Name, result.Network.ParameterCount, hyper,
            kernel.Name, "local", Silos: 0, Workers: 1, options.Partitions, "sync", options.Batch, options.Threads,
            data.Train.Count, data.Validation?.Count ?? 0, data.Test?.Count ?? 0,
            epochs, result.BestEpoch, result.StoppedEarly, test, result.SamplesPerSecond, result.TrainSeconds, wallSeconds,
            result.WeightsSha256);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}
