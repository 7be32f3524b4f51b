using System.Text.Json;
using Trainer.Core;
using Trainer.Core.Scaling;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// The runs bench/hosts/scaleout.sh writes with <c>--json FILE</c>, one JSON object a line. A run
/// whose many-host side failed (samples/s 0) is left out: it measured nothing.
/// </summary>
public static class HarnessFile
{
    public static IReadOnlyList<HostRun> Read(string path, string option = "--from-harness")
    {
        if (Directory.Exists(path)) throw new UserInputException($"{option} {path}: is a folder, expected the file of scaleout.sh --json");
        if (!File.Exists(path)) throw new UserInputException($"{option} {path}: no such file");
        var runs = new List<HostRun>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var run = Parse(line, $"{path} line {number}");
            if (run.SamplesPerSecond > 0 && run.OneHostSamplesPerSecond > 0) runs.Add(run);
        }
        if (runs.Count == 0) throw new UserInputException($"{option} {path}: no measured runs (write them with bench/hosts/scaleout.sh --json {path})");
        return runs;
    }

    private static HostRun Parse(string line, string where)
    {
        JsonElement o;
        try { o = JsonDocument.Parse(line).RootElement; }
        catch (JsonException) { throw new UserInputException($"{where}: not JSON (expected the lines of bench/hosts/scaleout.sh --json)"); }
        if (o.ValueKind != JsonValueKind.Object) throw new UserInputException($"{where}: not a run of bench/hosts/scaleout.sh --json");
        double Number(string name) =>
            o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDouble() >= 0 ? v.GetDouble()
                : throw new UserInputException($"{where}: '{name}' missing or not a number 0 or more (expected the lines of bench/hosts/scaleout.sh --json)");
        var link = o.TryGetProperty("link", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString()!
            : throw new UserInputException($"{where}: 'link' missing (expected the lines of bench/hosts/scaleout.sh --json)");
        var rate = link == "none" ? double.PositiveInfinity : NetworkUnits.ParseRate($"{where}: link", link);
        var hosts = (int)Number("hosts");
        if (hosts < 2) throw new UserInputException($"{where}: 'hosts' {hosts}: a scale-out run has 2 hosts or more");
        return new HostRun(hosts, new NetworkLink(rate), (int)Number("rowsPerHost"), Number("oneHost"), Number("manyHosts"),
            Number("computeMs"), Number("communicationMs"), Number("updateMs"), (long)Number("bytesPerStep"),
            o.TryGetProperty("cpusPerHost", out _) ? Number("cpusPerHost") : 1);
    }
}
