using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>
/// progress.json: a run as it goes, for <c>trainer dashboard</c>. <paramref name="Status"/> is running,
/// cancelled or failed; a running file whose trainer (<paramref name="Pid"/> on <paramref name="Host"/>,
/// started at <paramref name="ProcessStarted"/>, so that a reused PID does not count) is gone is a stopped run.
/// </summary>
public sealed record RunProgress(
    string Status, string Job, string Model, string Dataset, int Batch, int Epochs, string Host, int Pid, DateTime ProcessStarted, DateTime Updated,
    IReadOnlyList<RunPoint> Points, IReadOnlyDictionary<string, object>? Options)
{
    public const string FileName = "progress.json";
    public const string Running = "running", Cancelled = "cancelled", Failed = "failed";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The file's run, or null when it is not one (another program's progress.json, say).</summary>
    public static RunProgress? Read(byte[] json)
    {
        try { return JsonSerializer.Deserialize<RunProgress>(json, Json) is { Job: not null, Points: not null } p ? p : null; }
        catch (JsonException) { return null; }
    }
}

/// <summary>
/// An epoch's figures as the dashboard charts them; the validation accuracy is R² for a regression.
/// <paramref name="Batch"/> and <paramref name="LrGain"/> change from epoch to epoch under --batch auto.
/// </summary>
public sealed record RunPoint(int Epoch, double? TrainLoss, double? ValLoss, double? ValAccuracy, double? SamplesPerSecond, int? Batch = null, double? LrGain = null)
{
    public static RunPoint From(EpochReport r) =>
        new(r.Epoch, Finite(r.TrainLoss), Finite(r.Validation?.Loss), Finite(r.Validation is { } v ? v.Accuracy ?? v.R2 : null), Finite(r.SamplesPerSecond),
            r.Stats.Batch > 0 ? r.Stats.Batch : null, Finite(r.Stats.AutoBatch?.LrGain));

    /// <summary>JSON has no NaN or infinity: a diverged figure is left out.</summary>
    public static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;
}
