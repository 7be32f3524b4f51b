using System.Text.Json;
using Trainer.Client.Output;

namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// One run of the folder as the dashboard's page reads it (runs.json): <paramref name="Id"/> is its
/// folder relative to the dashboard's; <paramref name="Status"/> finished, running, stopped (its
/// trainer is gone without saying how), cancelled or failed; <paramref name="BestValidation"/> the
/// validation accuracy (R² for regression) of <paramref name="BestEpoch"/>, and
/// <paramref name="TestAccuracy"/> the test set's with the weights kept. Null where not known.
/// </summary>
public sealed record RunView(
    string Id, string Job, string Status, string Model, string Dataset, int Batch, int Epochs,
    int? BestEpoch, double? BestValidation, double? TestAccuracy, double? SamplesPerSecond, string? WeightsSha256,
    string? Cluster, DateTime Updated, IReadOnlyList<RunPoint> Points, JsonElement? Options, bool HasCurves)
{
    public const string Finished = "finished", Stopped = "stopped";
}

/// <summary>runs.json: the folder scanned, its runs in folder order, and when it was read; with --cluster, the cluster's jobs.</summary>
public sealed record RunsSnapshot(string Folder, DateTime Scanned, IReadOnlyList<RunView> Runs, ClusterView? Cluster = null);
