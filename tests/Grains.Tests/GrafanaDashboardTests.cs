using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;

namespace Trainer.Grains.Tests;

/// <summary>
/// deploy/grafana/trainer-dashboard.json against what the code exports: every series its queries
/// name is one a /metrics scrape of the Trainer meter holds, every Trainer series has a panel, and
/// the queries group by trainer_job (never exported_job, Prometheus's rename of a clashing job).
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    [GeneratedRegex(@"\btrainer_[a-z_]+\b")]
    private static partial Regex TrainerSeries();

    [GeneratedRegex(@"\bby \(([^)]*)\)")]
    private static partial Regex Grouping();

    private static List<string> Queries(JsonElement dashboard)
    {
        var queries = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        queries.AddRange(dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.TryGetProperty("definition", out _)).Select(v => v.GetProperty("definition").GetString()!));
        return queries;
    }

    /// <summary>The series names of a scrape of this process's Trainer meter, each instrument recorded once.</summary>
    private static async Task<HashSet<string>> ExportedSeries()
    {
        var port = Hosting.EmbeddedCluster.FreePorts(1)[0];
        using var metrics = PrometheusMetrics.Serve("--metrics-port", "127.0.0.1", port, "grafana-check");
        TrainerTelemetry.StepDone("grafana-check", 64, 32.0, 0.002, 0.001, 0.0005, 1000, 1.5, 120);
        TrainerTelemetry.Staleness.Record(1, TrainerTelemetry.Job("grafana-check"));
        TrainerTelemetry.Validation.Record(0.9, TrainerTelemetry.Job("grafana-check"));
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}{PrometheusMetrics.Path}");
        return text.Split('\n').Where(l => l.StartsWith("trainer_", StringComparison.Ordinal))
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet();
    }

    [Fact]
    public async Task Every_series_the_dashboard_queries_is_exported_and_every_trainer_series_has_a_panel()
    {
        using var file = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DeployTests.Root, "deploy/grafana/trainer-dashboard.json")));
        var queries = Queries(file.RootElement);
        var queried = queries.SelectMany(q => TrainerSeries().Matches(q)).Select(m => m.Value).Where(n => n != TrainerTelemetry.JobLabel).ToHashSet();
        var exported = await ExportedSeries();

        Assert.Subset(exported, queried);
        // each exported series (a histogram by its _bucket or _sum/_count) is on a panel
        static string Family(string series) => Regex.Replace(series, "_(bucket|sum|count|total)$", "");
        Assert.Subset(queried.Select(Family).ToHashSet(), exported.Select(Family).ToHashSet());
        Assert.Contains("trainer_step_duration_seconds_bucket", queried);

        Assert.DoesNotContain(queries, q => q.Contains("exported_job"));
        var groupings = queries.SelectMany(q => Grouping().Matches(q)).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries)).ToHashSet();
        Assert.Subset(new HashSet<string> { "le", TrainerTelemetry.JobLabel, "instance" }, groupings);
    }
}
