using ScottPlot;

namespace Trainer.Client.Output;

/// <summary>curves.png: training and validation loss per epoch (left axis) and the validation metric (right axis).</summary>
public static class CurvesPlot
{
    public static byte[] Render(RunReport report)
    {
        var plot = new Plot();
        var epochs = report.Epochs.Select(e => (double)e.Epoch).ToArray();
        var train = plot.Add.Scatter(epochs, report.Epochs.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "train loss";
        if (report.Epochs.All(e => e.ValLoss is not null))
        {
            var validation = plot.Add.Scatter(epochs, report.Epochs.Select(e => e.ValLoss!.Value).ToArray());
            validation.LegendText = "validation loss";
        }

        var (metric, values) = report.Epochs.All(e => e.ValAccuracy is not null) ? ("validation accuracy", report.Epochs.Select(e => e.ValAccuracy!.Value))
            : report.Epochs.All(e => e.ValR2 is not null) ? ("validation R²", report.Epochs.Select(e => e.ValR2!.Value))
            : report.Epochs.All(e => e.TestAccuracy is not null) ? ("test accuracy", report.Epochs.Select(e => e.TestAccuracy!.Value))
            : (null, []);
        if (metric is not null)
        {
            var curve = plot.Add.Scatter(epochs, values.ToArray());
            curve.LegendText = metric;
            curve.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = metric;
        }

        plot.Title($"{report.Model} on {report.Dataset}");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperCenter);
        return plot.GetImage(800, 500).GetImageBytes(ImageFormat.Png);
    }
}
