using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Trainer.Client.Tests;

/// <summary>
/// The epoch lines show what early stopping decides by: the watched value first (the validation
/// loss by default, the accuracy with --monitor accuracy), "(best)" on each epoch that is the best
/// so far, and the last one marked is the "best epoch" of the results, whatever the other figure did.
/// </summary>
public sealed partial class EpochLineTests
{
    [GeneratedRegex(@"^epoch (\d+)/\d+  train loss \S+  val (loss|acc) ([0-9.]+)( \(best\))?  val (acc|loss) ([0-9.]+)")]
    private static partial Regex EpochLine();

    private sealed record Line(int Epoch, double Watched, bool Best, double Other);

    private static async Task<(List<Line> Lines, int BestEpoch, JsonElement Epochs)> Train(string watched, params string[] options)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run(["train", "--cluster", "local", "--hidden", "16", "--epochs", "25", "--patience", "0", "--out", dir.Path, .. options]);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        var lines = outcome.Output.Split('\n').Select(l => EpochLine().Match(l)).Where(m => m.Success).Select(m =>
        {
            Assert.Equal(watched, m.Groups[2].Value);
            return new Line(int.Parse(m.Groups[1].Value), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[4].Success,
                double.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture));
        }).ToList();
        Assert.Equal(25, lines.Count);
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        return (lines, report.RootElement.GetProperty("bestEpoch").GetInt32(), report.RootElement.GetProperty("epochs").Clone());
    }

    [Fact]
    public async Task By_default_the_lines_show_the_validation_loss_first_and_mark_the_epochs_early_stopping_keeps()
    {
        var (lines, bestEpoch, epochs) = await Train("loss");
        Assert.True(lines[0].Best);
        var lowest = double.PositiveInfinity;
        foreach (var line in lines) // marked exactly where the loss is the lowest so far
        {
            var valLoss = epochs[line.Epoch - 1].GetProperty("valLoss").GetDouble();
            Assert.Equal(valLoss < lowest, line.Best);
            lowest = Math.Min(lowest, valLoss);
        }
        Assert.Equal(bestEpoch, lines.Last(l => l.Best).Epoch);
    }

    [Fact]
    public async Task With_monitor_accuracy_the_lines_show_the_validation_accuracy_first_and_mark_by_it()
    {
        var (lines, bestEpoch, _) = await Train("acc", "--monitor", "accuracy");
        Assert.True(lines[0].Best);
        Assert.Equal(bestEpoch, lines.Last(l => l.Best).Epoch);
        var best = lines.Where(l => l.Epoch <= bestEpoch).Max(l => l.Watched);
        Assert.Equal(best, lines.Single(l => l.Epoch == bestEpoch).Watched);
    }

    /// <summary>Under --batch auto each line ends with the epoch's batch and gain, as report.json has them.</summary>
    [Fact]
    public async Task Under_batch_auto_the_lines_show_each_epochs_batch_and_gain()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run(["train", "--cluster", "local", "--hidden", "16", "--epochs", "4", "--batch", "auto", "--batch-cost", "20,0.01", "--out", dir.Path]);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        var shown = outcome.Output.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal))
            .Select(l => Regex.Match(l, @"  batch (\d+) \(lr ×([0-9.]+)\)$")).Select(m => (int.Parse(m.Groups[1].Value), m.Groups[2].Value)).ToList();
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        var recorded = report.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(e => (e.GetProperty("batch").GetInt32(), e.GetProperty("lrGain").GetDouble().ToString("F2", CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(recorded, shown);
        Assert.True(recorded.Select(r => r.Item1).Distinct().Count() > 1);
        Assert.Contains("batch auto from 32 in 8 partitions", outcome.Output);
    }
}
