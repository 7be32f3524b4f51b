using System.Diagnostics;
using System.Text.Json;
using Trainer.Client.Output;

namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// The runs under a folder: every folder (to <see cref="MaxDepth"/> levels down, as scale nests its
/// runs in SWEEP/runs/POINT) holding a report.json (finished) or a progress.json (running, or ended
/// without results). A report is parsed once per version of its file; progress files, which change
/// every epoch, at every scan. A file that is not what it should be is left out, not an error:
/// the folder is anyone's.
/// </summary>
public sealed class RunsFolderScanner(string folder)
{
    public const int MaxDepth = 4;
    /// <summary>A chart a few hundred pixels wide shows no more: a longer run is thinned (its best and last epochs kept) so that runs.json stays small.</summary>
    public const int MaxPoints = 1000;
    private const string Report = "report.json";

    private readonly Dictionary<string, (DateTime Written, long Length, RunView? View)> _reports = [];
    private Dictionary<string, string> _folders = [];

    public string Folder { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));

    public RunsSnapshot Scan()
    {
        var runs = new Dictionary<string, RunView>();
        Visit(Folder, 0, runs);
        _folders = runs.ToDictionary(r => r.Value.Id, r => r.Key);
        foreach (var gone in _reports.Keys.Where(path => !runs.ContainsKey(Path.GetDirectoryName(path)!)).ToList()) _reports.Remove(gone);
        return new RunsSnapshot(Folder, DateTime.UtcNow, [.. runs.Values.OrderBy(r => r.Id, StringComparer.Ordinal)]);
    }

    /// <summary>The folder of a run the last scan found; null for any other id.</summary>
    public string? FolderOf(string? id) => id is not null && _folders.TryGetValue(id, out var dir) ? dir : null;

    private void Visit(string dir, int depth, Dictionary<string, RunView> runs)
    {
        if (Read(dir) is { } run)
        {
            runs[dir] = run;
            return; // a run's folder holds no further runs
        }
        if (depth >= MaxDepth) return;
        IEnumerable<string> children;
        try { children = Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; } // removed meanwhile, or not ours to read
        foreach (var child in children) Visit(child, depth + 1, runs);
    }

    /// <summary>The run in <paramref name="dir"/>: its progress file when that is newer than its report (a run again into the same --out).</summary>
    private RunView? Read(string dir)
    {
        var (report, progress) = (new FileInfo(Path.Combine(dir, Report)), new FileInfo(Path.Combine(dir, RunProgress.FileName)));
        var id = Id(dir);
        if (progress.Exists && (!report.Exists || progress.LastWriteTimeUtc > report.LastWriteTimeUtc) && FromProgress(id, progress) is { } live) return Thin(live);
        return report.Exists && FromReport(id, report) is { } finished ? Thin(finished) : null;
    }

    private string Id(string dir) => dir == Folder ? Path.GetFileName(Folder) : Path.GetRelativePath(Folder, dir).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Every k-th epoch of a long run, and its best and last.</summary>
    public static RunView Thin(RunView run)
    {
        if (run.Points.Count <= MaxPoints) return run;
        var every = (run.Points.Count + MaxPoints - 1) / MaxPoints;
        return run with { Points = [.. run.Points.Where((p, i) => i % every == 0 || p.Epoch == run.BestEpoch || i == run.Points.Count - 1)] };
    }

    private RunView? FromReport(string id, FileInfo file)
    {
        if (_reports.TryGetValue(file.FullName, out var cached) && cached.Written == file.LastWriteTimeUtc && cached.Length == file.Length) return cached.View;
        var view = ParseReport(id, file);
        _reports[file.FullName] = (file.LastWriteTimeUtc, file.Length, view);
        return view;
    }

    private static RunView? ParseReport(string id, FileInfo file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
            var r = document.RootElement;
            var points = r.GetProperty("epochs").EnumerateArray().Select(e => new RunPoint(e.GetProperty("epoch").GetInt32(),
                Number(e, "trainLoss"), Number(e, "valLoss"), Number(e, "valAccuracy") ?? Number(e, "valR2"), Number(e, "samplesPerSecond"),
                Integer(e, "batch"), Number(e, "lrGain"))).ToList();
            var best = r.TryGetProperty("bestEpoch", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetInt32() : (int?)null;
            var options = r.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object ? o.Clone() : (JsonElement?)null;
            var test = r.TryGetProperty("test", out var t) && t.ValueKind == JsonValueKind.Object ? Number(t, "accuracy") ?? Number(t, "r2") : null;
            return new RunView(id, Text(r, "job") ?? id, RunView.Finished, Text(r, "model") ?? "?", Text(r, "dataset") ?? "?",
                Integer(r, "globalBatch") ?? 0, options is { } opts ? Integer(opts, "epochs") ?? points.Count : points.Count,
                best, points.FirstOrDefault(p => p.Epoch == best)?.ValAccuracy, test, Number(r, "samplesPerSecond"), Text(r, "weightsSha256"),
                Text(r, "cluster"), file.LastWriteTimeUtc, points, options, File.Exists(Path.Combine(file.DirectoryName!, "curves.png")));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            return null; // half-copied or not a trainer's report
        }
    }

    private static RunView? FromProgress(string id, FileInfo file)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (RunProgress.Read(bytes) is not { } p) return null;
        // a trainer on another machine (a shared folder) cannot be looked up: its file's word is taken
        var status = p.Status != RunProgress.Running || p.Host != Environment.MachineName ? p.Status
            : Alive(p.Pid, p.ProcessStarted) ? RunProgress.Running : RunView.Stopped;
        // the best epoch so far as early stopping sees it: by the validation loss unless the run watches accuracy
        var best = p.Options?.GetValueOrDefault("monitor")?.ToString() == "accuracy"
            ? p.Points.Where(q => q.ValAccuracy is not null).MaxBy(q => q.ValAccuracy)
            : p.Points.Where(q => q.ValLoss is not null).MinBy(q => q.ValLoss);
        var options = p.Options is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(p.Options, RunProgress.Json);
        var cluster = p.Options?.GetValueOrDefault("cluster")?.ToString();
        return new RunView(id, p.Job, status, p.Model, p.Dataset, p.Batch, p.Epochs, best?.Epoch, best?.ValAccuracy, null,
            p.Points.LastOrDefault()?.SamplesPerSecond, null, cluster, p.Updated, p.Points, options, false);
    }

    /// <summary>Whether the trainer that wrote a progress file still runs: its PID, started when it said (not a later process given the same PID).</summary>
    public static bool Alive(int pid, DateTime started)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs((process.StartTime.ToUniversalTime() - started).TotalSeconds) < 2;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; } // it exited meanwhile
        catch (System.ComponentModel.Win32Exception) { return true; } // there, but not ours to inspect
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static int? Integer(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
