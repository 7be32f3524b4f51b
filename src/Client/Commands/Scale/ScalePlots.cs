using ScottPlot;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// The sweep's plots: steps to target against batch on log-log axes with each curve's perfect-scaling
/// line; final test accuracy against batch per rule; samples/s against workers (or batch); the noise
/// scale over training.
/// </summary>
public static class ScalePlots
{
    public static IEnumerable<(string Name, byte[] Png)> Render(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        yield return ("steps-to-target.png", StepsToTarget(grid, results));
        yield return ("accuracy.png", Accuracy(grid, results));
        yield return ("throughput.png", Throughput(grid, results));
        yield return ("noise-scale.png", NoiseScale(grid, results));
    }

    private static byte[] StepsToTarget(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var runs in ScaleSummary.Curves(grid, results))
        {
            var curve = ScaleSummary.CurveOf(runs);
            if (curve.Points.Count == 0) continue;
            var color = palette.GetColor(index++);
            var xs = curve.Points.Select(p => Math.Log10(p.Batch)).ToArray();
            var measured = plot.Add.Scatter(xs, curve.Points.Select(p => Math.Log10(p.Steps)).ToArray(), color);
            measured.LegendText = runs.Key;
            var perfect = plot.Add.Scatter(xs, curve.Points.Select(p => Math.Log10(curve.PerfectSteps(p.Batch))).ToArray(), color);
            perfect.LinePattern = LinePattern.Dashed;
            perfect.MarkerSize = 0;
        }
        LogAxis(plot.Axes.Bottom, "global batch");
        LogAxis(plot.Axes.Left, "steps to target");
        plot.Title($"steps to validation {grid.Target} (dashed: perfect scaling)");
        plot.ShowLegend(Alignment.UpperRight);
        return Png(plot);
    }

    private static byte[] Accuracy(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var plot = new Plot();
        foreach (var runs in ScaleSummary.Curves(grid, results))
        {
            var points = runs.Where(r => r.TestAccuracy is not null).ToArray();
            if (points.Length == 0) continue;
            var series = plot.Add.Scatter(points.Select(r => Math.Log10(r.Point.Batch)).ToArray(), points.Select(r => r.TestAccuracy!.Value).ToArray());
            series.LegendText = runs.Key;
        }
        LogAxis(plot.Axes.Bottom, "global batch");
        plot.YLabel("final test accuracy");
        plot.Title(grid.PastTarget ? $"test accuracy after {grid.MaxEpochs} epochs" : $"test accuracy when training stopped (at validation {grid.Target} or {grid.MaxEpochs} epochs)");
        plot.ShowLegend(Alignment.LowerLeft);
        return Png(plot);
    }

    private static byte[] Throughput(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var plot = new Plot();
        var byWorkers = grid.VariesWorkers;
        foreach (var runs in results.Where(r => r.SamplesPerSecond > 0).GroupBy(r => byWorkers ? $"batch {r.Point.Batch}{(grid.PsShards is null ? "" : $", {r.Point.PsShards} shard{(r.Point.PsShards == 1 ? "" : "s")}")}" : r.Point.Series(false)))
        {
            var points = runs.OrderBy(r => byWorkers ? r.Point.Workers : r.Point.Batch).ToArray();
            var series = plot.Add.Scatter(points.Select(r => byWorkers ? r.Point.Workers : Math.Log10(r.Point.Batch)).ToArray(), points.Select(r => r.SamplesPerSecond).ToArray());
            series.LegendText = runs.Key;
        }
        if (byWorkers) plot.XLabel("workers");
        else LogAxis(plot.Axes.Bottom, "global batch");
        plot.YLabel("samples/s");
        plot.Axes.SetLimitsY(0, Math.Max(1, results.Select(r => r.SamplesPerSecond).DefaultIfEmpty(1).Max() * 1.1));
        plot.Title("training throughput");
        plot.ShowLegend(Alignment.LowerRight);
        return Png(plot);
    }

    private static byte[] NoiseScale(ScaleGrid grid, IReadOnlyList<ScaleResult> results)
    {
        var plot = new Plot();
        // one curve of the grid keeps the plot readable: the first rule, at every batch
        var first = ScaleSummary.Curves(grid, results).FirstOrDefault();
        foreach (var run in first ?? Enumerable.Empty<ScaleResult>())
        {
            var epochs = run.NoiseScale.Select((n, i) => (Epoch: i + 1, Noise: n)).Where(e => e.Noise is > 0).ToArray();
            if (epochs.Length == 0) continue;
            var series = plot.Add.Scatter(epochs.Select(e => (double)e.Epoch).ToArray(), epochs.Select(e => e.Noise!.Value).ToArray());
            series.LegendText = $"batch {run.Point.Batch}";
        }
        plot.XLabel("epoch");
        plot.YLabel("B_simple = tr(Σ)/|G|²");
        plot.Title($"gradient noise scale over training ({first?.Key ?? "no runs"})");
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot);
    }

    /// <summary>An axis of log10 values, ticked at 1, 2 and 5 times the powers of ten and labelled with the values themselves.</summary>
    private static void LogAxis(IAxis axis, string label)
    {
        axis.Label.Text = label;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var power = 0; power <= 7; power++)
            foreach (var mantissa in new[] { 1, 2, 5 })
            {
                var value = mantissa * Math.Pow(10, power);
                ticks.AddMajor(Math.Log10(value), value.ToString("N0"));
            }
        axis.TickGenerator = ticks;
    }

    private static byte[] Png(Plot plot) => plot.GetImage(900, 560).GetImageBytes(ImageFormat.Png);
}
