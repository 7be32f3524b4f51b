using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// What one run of a sweep measured, read from its report.json: the epochs, steps and training
/// seconds to the target, the final test accuracy, throughput with the step-time split, and the
/// gradient noise scale per epoch. A run that diverged has its status and no figures.
/// </summary>
public sealed record ScaleResult(
    ScalePoint Point, string Status, double LearningRate, int Epochs,
    int? EpochsToTarget, long? StepsToTarget, double? SecondsToTarget,
    double? TestAccuracy, double? BestValidationAccuracy,
    double SamplesPerSecond, double ComputeMs, double CommunicationMs, double UpdateMs, long BytesPerStep,
    double? NoiseScaleAtTarget, double?[] NoiseScale, string? Note = null,
    int WorkersUsed = 0, int PsShards = 1, int ParameterCount = 0, int Threads = 0, double TrainSeconds = 0)
{
    public const string Reached = "reached", NotReached = "not reached", Diverged = "diverged";

    public static ScaleResult FromReport(ScalePoint point, string reportPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(reportPath));
        var root = document.RootElement;
        var epochs = root.GetProperty("epochs").EnumerateArray().ToArray();
        var target = root.GetProperty("target");
        var reached = target.GetProperty("reached").GetBoolean();
        var targetEpoch = reached ? target.GetProperty("epoch").GetInt32() : (int?)null;
        var noise = epochs.Select(e => Number(e, "noiseScale")).ToArray();
        var step = root.GetProperty("stepTime");
        return new ScaleResult(point, reached ? Reached : NotReached, root.GetProperty("options").GetProperty("scaledLr").GetDouble(), epochs.Length,
            targetEpoch, reached ? target.GetProperty("steps").GetInt64() : null, reached ? target.GetProperty("seconds").GetDouble() : null,
            root.TryGetProperty("test", out var test) ? Number(test, "accuracy") : null,
            epochs.Select(e => Number(e, "valAccuracy")).Max(),
            root.GetProperty("samplesPerSecond").GetDouble(), step.GetProperty("computeMs").GetDouble(), step.GetProperty("communicationMs").GetDouble(),
            step.GetProperty("updateMs").GetDouble(), root.GetProperty("bytesPerStep").GetInt64(),
            targetEpoch is { } t ? noise[t - 1] : null, noise, null,
            root.GetProperty("workers").GetInt32(), root.GetProperty("psShards").GetInt32(), root.GetProperty("parameterCount").GetInt32(),
            root.GetProperty("threads").GetInt32(), root.GetProperty("trainSeconds").GetDouble());
    }

    public static ScaleResult Divergence(ScalePoint point, double learningRate, string message) =>
        new(point, Diverged, learningRate, 0, null, null, null, null, null, 0, 0, 0, 0, 0, null, [], message);

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    public static string Csv(IEnumerable<ScaleResult> results)
    {
        var text = new StringBuilder("batch,workers,lr_scaling,optimizer,warmup_epochs,lr,status,epochs,epochs_to_target,steps_to_target,seconds_to_target," +
                                     "test_accuracy,best_val_accuracy,samples_per_second,compute_ms,communication_ms,update_ms,bytes_per_step,noise_scale_at_target,lr_factor,train_seconds\n");
        foreach (var r in results)
        {
            var p = r.Point;
            string[] cells = [$"{p.Batch}", $"{p.Workers}", p.LrScaling, p.Optimizer, F(p.WarmupEpochs), F(r.LearningRate), r.Status, $"{r.Epochs}",
                $"{r.EpochsToTarget}", $"{r.StepsToTarget}", F(r.SecondsToTarget), F(r.TestAccuracy), F(r.BestValidationAccuracy), F(r.SamplesPerSecond),
                F(r.ComputeMs), F(r.CommunicationMs), F(r.UpdateMs), $"{r.BytesPerStep}", F(r.NoiseScaleAtTarget), F(p.LrFactor), F(r.TrainSeconds)];
            text.AppendJoin(',', cells).Append('\n');
        }
        return text.ToString();
    }

    private static string F(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? "";
}
