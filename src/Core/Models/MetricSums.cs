namespace Trainer.Core.Models;

/// <summary>Additive evaluation sums, so that shards of a data set can be scored apart and combined.</summary>
public struct MetricSums
{
    public long Count;
    public double LossSum;
    public long Correct;
    public double SquaredError;
    public double LabelSum;
    public double LabelSquareSum;

    public readonly MetricSums Plus(MetricSums o) => new()
    {
        Count = Count + o.Count, LossSum = LossSum + o.LossSum, Correct = Correct + o.Correct,
        SquaredError = SquaredError + o.SquaredError, LabelSum = LabelSum + o.LabelSum, LabelSquareSum = LabelSquareSum + o.LabelSquareSum,
    };

    public readonly Metrics ToMetrics(bool regression)
    {
        var n = Math.Max(1, Count);
        if (!regression) return new Metrics(Count, LossSum / n, (double)Correct / n, null, null);
        var mse = SquaredError / n;
        var total = LabelSquareSum - LabelSum * LabelSum / n;
        var r2 = total > 0 ? 1 - SquaredError / total : 0;
        return new Metrics(Count, LossSum / n, null, mse, r2);
    }
}

/// <summary>Mean loss and accuracy (classification), or mean loss, MSE and R² (regression).</summary>
public sealed record Metrics(long Count, double Loss, double? Accuracy, double? Mse, double? R2)
{
    /// <summary>The number early stopping watches: accuracy for classifiers, −loss for regression (higher is better).</summary>
    public double Score => Accuracy ?? -Loss;

    public override string ToString() => Accuracy is { } acc ? $"loss {Loss:F4}, accuracy {acc:F4}" : $"loss {Loss:F4}, MSE {Mse:G5}, R² {R2:F4}";
}
