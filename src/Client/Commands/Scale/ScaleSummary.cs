using System.Text;
using Trainer.Core.Scaling;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// summary.md of a sweep: every run in a table, then per curve (everything but the batch fixed) the
/// log-log slopes of steps to target, where near-perfect scaling ends, the noise scale measured
/// there, and the accuracy at the largest batch against the small-batch accuracy.
/// </summary>
public static class ScaleSummary
{
    public static IEnumerable<IGrouping<string, ScaleResult>> Curves(ScaleGrid grid, IEnumerable<ScaleResult> results) =>
        results.GroupBy(r => r.Point.Series(grid.VariesWorkers));

    public static ScalingCurve CurveOf(IEnumerable<ScaleResult> curve) =>
        new(curve.Where(r => r.StepsToTarget is not null).Select(r => (r.Point.Batch, r.StepsToTarget!.Value)));

    public static string Markdown(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("# Scaling sweep").AppendLine();
        text.AppendLine($"Every run: `trainer train {string.Join(' ', grid.TrainArguments)} --target {grid.Target} --epochs {grid.MaxEpochs}" +
                        $"{(grid.PastTarget ? " --past-target" : "")} --patience 0` with the run's batch, workers, rule, optimiser and warm-up; " +
                        $"{results.Count} of {grid.Points.Count} runs done; {Environment.ProcessorCount} cores.").AppendLine();
        text.AppendLine("Steps, epochs and seconds to target count whole epochs: the target is checked on the validation set at each epoch's end.").AppendLine();

        text.AppendLine("| batch | workers | lr scaling | optimizer | warm-up | lr | result | epochs | steps | seconds | test acc | samples/s | compute / comm / update ms | noise scale |");
        text.AppendLine("|---:|---:|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|");
        foreach (var r in results)
        {
            var p = r.Point;
            text.AppendLine($"| {p.Batch} | {(p.Workers == 0 ? "per silo" : p.Workers)} | {p.LrScaling} | {p.Optimizer} | {p.WarmupEpochs:0.##} | {r.LearningRate:G4} | {r.Status} | " +
                            $"{r.EpochsToTarget} | {r.StepsToTarget} | {r.SecondsToTarget:F1} | {r.TestAccuracy:F4} | {r.SamplesPerSecond:N0} | " +
                            $"{r.ComputeMs:F2} / {r.CommunicationMs:F2} / {r.UpdateMs:F2} | {r.NoiseScaleAtTarget:N0} |");
        }
        text.AppendLine();

        text.AppendLine("## Steps to target against batch").AppendLine();
        text.AppendLine("![steps to target](steps-to-target.png)").AppendLine();
        foreach (var line in CurveLines(grid, results)) text.AppendLine($"- {line}");
        text.AppendLine();

        text.AppendLine("## Accuracy at the largest batch").AppendLine();
        text.AppendLine("![accuracy](accuracy.png)").AppendLine();
        foreach (var line in AccuracyLines(grid, results)) text.AppendLine($"- {line}");
        text.AppendLine();

        if (grid.LrFactors is not null)
        {
            text.AppendLine("## The learning rate tuned per batch (--tune-lr)").AppendLine();
            foreach (var line in TunedLines(grid, results)) text.AppendLine($"- {line}");
            text.AppendLine();
        }

        text.AppendLine("## Throughput and noise scale").AppendLine();
        text.AppendLine("![samples per second](throughput.png)").AppendLine();
        text.AppendLine("![noise scale](noise-scale.png)").AppendLine();
        return text.ToString();
    }

    /// <summary>The console's closing lines: per curve, where perfect scaling ends and the noise scale there.</summary>
    public static string Knees(ScaleGrid grid, IReadOnlyList<ScaleResult> results) =>
        string.Concat(CurveLines(grid, results).Concat(AccuracyLines(grid, results)).Select(l => l + "\n"));

    /// <summary>The console's lines of a --tune-lr sweep: the best trial per batch, the best batch in hindsight, the sweep's cost.</summary>
    public static string Tuned(ScaleGrid grid, IReadOnlyList<ScaleResult> results) => string.Concat(TunedLines(grid, results).Select(l => l + "\n"));

    /// <summary>
    /// Shallue et al.'s hindsight baseline at this machine's budget: at each batch, of the trials that
    /// differ only in the learning rate, the one with the fewest steps to the target (ties: fewer
    /// seconds); over the batches, the one with the fewest training seconds to it; and what the whole
    /// sweep cost, the price of knowing the best in hindsight.
    /// </summary>
    private static IEnumerable<string> TunedLines(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var factors = grid.LrFactors ?? [1];
        var bests = new List<ScaleResult>();
        foreach (var trials in results.GroupBy(r => (r.Point.Trials(grid.VariesWorkers), r.Point.Batch)).OrderBy(g => g.Key.Item1).ThenBy(g => g.Key.Batch))
        {
            var (series, batch) = trials.Key;
            var reached = trials.Where(r => r.StepsToTarget is not null).ToList();
            var label = $"{series}, batch {batch}";
            if (reached.Count == 0)
            {
                yield return $"{label}: none of {trials.Count()} trials reached {grid.Target} within {grid.MaxEpochs} epochs";
                continue;
            }
            var best = reached.OrderBy(r => r.StepsToTarget).ThenBy(r => r.SecondsToTarget).First();
            bests.Add(best);
            var edge = factors.Length > 1 && (best.Point.LrFactor == factors[0] || best.Point.LrFactor == factors[^1])
                ? "; the best is at the grid's edge, widen --lr-factors" : "";
            yield return $"{label}: best lr {best.LearningRate:G4} (×{best.Point.LrFactor:0.###}), {best.StepsToTarget:N0} steps, {best.EpochsToTarget} epochs, " +
                         $"{best.SecondsToTarget:F1} s to {grid.Target}; {reached.Count} of {trials.Count()} trials reached it{edge}";
        }
        if (bests.MinBy(r => r.SecondsToTarget) is { } fastest)
            yield return $"best fixed batch in hindsight: {fastest.Point.Batch} at lr {fastest.LearningRate:G4} ({fastest.Point.Trials(grid.VariesWorkers)}), " +
                         $"{fastest.SecondsToTarget:F1} s of training to {grid.Target} ({fastest.StepsToTarget:N0} steps)";
        yield return $"the sweep: {results.Sum(r => r.TrainSeconds):F1} s of training over {results.Count} runs";
    }

    private static IEnumerable<string> CurveLines(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        foreach (var runs in Curves(grid, results))
        {
            var curve = CurveOf(runs);
            if (curve.Points.Count < 2)
            {
                yield return $"{runs.Key}: fewer than two runs reached the target; no slope to measure";
                continue;
            }
            var slopes = string.Join(", ", curve.Slopes.Select((s, i) => $"{curve.Points[i].Batch}→{curve.Points[i + 1].Batch} {s:F2}"));
            var noise = runs.Select(r => r.NoiseScaleAtTarget).OfType<double>().Order().ToArray();
            var noiseText = noise.Length == 0 ? "no noise scale measured (one partition)"
                : $"noise scale at the target {noise[noise.Length / 2]:N0} (median of {noise.Length} runs, {noise[0]:N0}–{noise[^1]:N0})";
            var knee = curve.PerfectScalingEnd is { } end
                ? end == curve.Points[^1].Batch ? $"near-perfect scaling (slope ≤ {ScalingCurve.PerfectSlope}) up to the largest batch that reached it, {end}"
                : $"near-perfect scaling (slope ≤ {ScalingCurve.PerfectSlope}) up to batch {end}, diminishing returns beyond"
                : "no near-perfect scaling from the smallest batch";
            yield return $"{runs.Key}: log-log slopes {slopes}; {knee}; {noiseText}";
        }
    }

    private static IEnumerable<string> AccuracyLines(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var smallest = grid.Batches[0];
        var largest = grid.Batches[^1];
        var reference = results.Where(r => r.Point.Batch == smallest && r.TestAccuracy is not null).MaxBy(r => r.TestAccuracy);
        if (reference is null || smallest == largest) yield break;
        if (!grid.PastTarget)
            yield return "accuracies below are where each run stopped (at the target, or after --max-epochs); for one budget for all, sweep with --past-target";
        foreach (var r in results.Where(r => r.Point.Batch == largest))
        {
            var series = r.Point.Series(grid.VariesWorkers);
            if (r.TestAccuracy is not { } accuracy)
            {
                yield return $"batch {largest}, {series}: {r.Status}{(r.Note is null ? "" : $" ({r.Note})")}";
                continue;
            }
            var gap = 100 * (reference.TestAccuracy!.Value - accuracy);
            yield return $"batch {largest}, {series}: test accuracy {accuracy:F4} against {reference.TestAccuracy:F4} at batch {smallest} ({reference.Point.Series(grid.VariesWorkers)}): " +
                         (gap <= 1 ? $"within 1 point ({Math.Abs(gap):F2} points {(gap >= 0 ? "lower" : "higher")})" : $"{gap:F2} points lower") + (r.Status == ScaleResult.NotReached ? $", target not reached in {r.Epochs} epochs" : "");
        }
    }
}
