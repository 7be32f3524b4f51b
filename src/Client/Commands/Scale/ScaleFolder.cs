using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Client.Output;
using Trainer.Core;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// A sweep's folder: sweep.json (what was asked), runs/KEY/ (each run's train outputs),
/// results.json and results.csv, the plots and summary.md, all rewritten after every run.
/// A folder holds one sweep; opened again with the same grid, it gives the results so far.
/// </summary>
public sealed class ScaleFolder
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string _folder;
    private readonly ScaleGrid _grid;

    private ScaleFolder(string folder, ScaleGrid grid, Dictionary<string, ScaleResult> results, string id)
    {
        _folder = folder; _grid = grid; Results = results; Id = id;
    }

    /// <summary>The results so far, by run key.</summary>
    public Dictionary<string, ScaleResult> Results { get; }

    /// <summary>A short hash of the sweep: part of its runs' job names.</summary>
    public string Id { get; }

    public string CheckpointFolder => Path.Combine(_folder, "checkpoints");

    public string RunFolder(ScalePoint point) => Path.Combine(_folder, "runs", point.Key);

    public static ScaleFolder Open(string folder, ScaleGrid grid)
    {
        RunOutput.CheckTarget(folder);
        var sweep = JsonSerializer.Serialize(grid, Json);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sweep)))[..8];
        var sweepFile = Path.Combine(folder, "sweep.json");
        var results = new Dictionary<string, ScaleResult>();
        try
        {
            if (File.Exists(sweepFile))
            {
                if (File.ReadAllText(sweepFile) != sweep)
                    throw new UserInputException($"--out {folder}: holds a different sweep (see its sweep.json); give the same options to continue it, or another folder");
                var resultsFile = Path.Combine(folder, "results.json");
                if (File.Exists(resultsFile))
                    foreach (var result in JsonSerializer.Deserialize<SavedResults>(File.ReadAllBytes(resultsFile), Json)?.Results ?? [])
                        results[result.Point.Key] = result;
            }
            else
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(sweepFile, sweep);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new UserInputException($"--out {folder}: cannot use it as a sweep folder ({e.Message})");
        }
        return new ScaleFolder(folder, grid, results, id);
    }

    /// <summary>
    /// Records a finished run and rewrites the sweep's outputs, each file atomically; results.json
    /// first, since it is what a continued sweep reads.
    /// </summary>
    public void Add(ScaleResult result)
    {
        Results[result.Point.Key] = result;
        WriteOutputs();
    }

    /// <summary>Rewrites results.json, results.csv, summary.md and the plots from the results so far.</summary>
    public void WriteOutputs()
    {
        var ordered = _grid.Points.Where(p => Results.ContainsKey(p.Key)).Select(p => Results[p.Key]).ToList();
        try
        {
            Write("results.json", JsonSerializer.SerializeToUtf8Bytes(new SavedResults(ordered), Json));
            Write("results.csv", Encoding.UTF8.GetBytes(ScaleResult.Csv(ordered)));
            Write("summary.md", Encoding.UTF8.GetBytes(ScaleSummary.Markdown(_grid, ordered)));
            foreach (var (name, png) in ScalePlots.Render(_grid, ordered)) Write(name, png);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {_folder}: cannot write the sweep's results ({e.Message})");
        }
    }

    private void Write(string name, byte[] content) => RunOutput.WriteAtomically(Path.Combine(_folder, name), content);

    private sealed record SavedResults(IReadOnlyList<ScaleResult> Results);
}
