using System.Text;

namespace Trainer.Client.Output;

/// <summary>The table a finished run prints before its closing line: the report's main figures, one per row.</summary>
public static class ResultsTable
{
    public static string Render(RunReport report)
    {
        var rows = new List<(string, string)>
        {
            ("best epoch", $"{report.BestEpoch} of {report.Epochs.Count}{(report.StoppedEarly ? " (stopped early)" : "")}" +
                           (report.Target is { Reached: true } t ? $"; target {t.Value} reached at epoch {t.Epoch} ({t.Steps:N0} steps, {t.Seconds:F1} s)" : "")),
            ("test", report.Test is { } test ? test.Accuracy is { } acc ? $"loss {test.Loss:F4}, accuracy {acc:F4}" : $"loss {test.Loss:F4}, MSE {test.Mse:G5}, R² {test.R2:F4}" : "no test set"),
            ("throughput", $"{report.SamplesPerSecond:N0} samples/s over {report.TrainSeconds:F2} s of training (wall {report.WallSeconds:F2} s)"),
            ("step", $"compute {report.StepTime.ComputeMs:F2} ms, communication {report.StepTime.CommunicationMs:F2} ms, update {report.StepTime.UpdateMs:F2} ms" +
                     (report.StepTime.CheckpointMs > 0 ? $", checkpoints {report.StepTime.CheckpointMs:F2} ms" : "") +
                     (report.BytesPerStep > 0 ? $"; {report.BytesPerStep / 1e6:F2} MB on the wire" : "")),
        };
        if (report.Staleness is { } s) rows.Add(("staleness", $"mean {s.Mean:F2}, max {s.Max} versions"));
        if (report.Epochs.LastOrDefault()?.NoiseScale is { } noise) rows.Add(("noise scale", $"{noise:N0} at the last epoch"));
        rows.Add(("weights sha256", report.WeightsSha256));

        var text = new StringBuilder("results:\n");
        foreach (var (name, value) in rows) text.Append($"  {name,-16}{value}\n");
        return text.ToString();
    }
}
