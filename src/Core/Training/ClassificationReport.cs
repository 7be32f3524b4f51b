namespace Trainer.Core.Training;

/// <summary>Precision, recall and F1 of one class (or their average), and its support: how many rows truly are of it.</summary>
public sealed record ClassScores(double Precision, double Recall, double F1, long Support);

/// <summary>
/// A classifier's confusion matrix (row: the true class, column: the predicted one) and what
/// scikit-learn's classification_report makes of it, over every class of the model (its
/// labels=range(K)) with zero_division=0: a class never predicted has precision 0, a class with no
/// rows recall 0, and F1 is 0 when both are. The macro average weighs every class alike, the
/// weighted average each by its support.
/// </summary>
public sealed record ClassificationReport(long[][] Confusion, ClassScores[] Classes, ClassScores MacroAverage, ClassScores WeightedAverage)
{
    public long Rows => Classes.Sum(c => c.Support);

    /// <summary>The share of rows on the diagonal.</summary>
    public double Accuracy => Rows == 0 ? 0 : (double)Enumerable.Range(0, Confusion.Length).Sum(k => Confusion[k][k]) / Rows;

    /// <summary>The report of predicted against true class indices (0..classes−1, as floats, as data sets hold labels).</summary>
    public static ClassificationReport Of(ReadOnlySpan<float> truth, ReadOnlySpan<float> predicted, int classes)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException("one prediction per row");
        var confusion = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
        for (var i = 0; i < truth.Length; i++) confusion[(int)truth[i]][(int)predicted[i]]++;
        return FromConfusion(confusion);
    }

    public static ClassificationReport FromConfusion(long[][] confusion)
    {
        var k = confusion.Length;
        if (confusion.Any(row => row.Length != k)) throw new ArgumentException("a confusion matrix is square");
        var scores = new ClassScores[k];
        for (var c = 0; c < k; c++)
        {
            var correct = confusion[c][c];
            var support = confusion[c].Sum();
            var predicted = confusion.Sum(row => row[c]);
            var precision = Ratio(correct, predicted);
            var recall = Ratio(correct, support);
            scores[c] = new ClassScores(precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), support);
        }
        var rows = scores.Sum(s => s.Support);
        var macro = new ClassScores(scores.Average(s => s.Precision), scores.Average(s => s.Recall), scores.Average(s => s.F1), rows);
        double Weighted(Func<ClassScores, double> score) => rows == 0 ? 0 : scores.Sum(s => score(s) * s.Support) / rows;
        var weighted = new ClassScores(Weighted(s => s.Precision), Weighted(s => s.Recall), Weighted(s => s.F1), rows);
        return new ClassificationReport(confusion, scores, macro, weighted);
    }

    private static double Ratio(long part, long whole) => whole == 0 ? 0 : (double)part / whole;
}
