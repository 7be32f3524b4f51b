using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>Precision, recall and F1 as scikit-learn's classification_report gives them, on matrices whose figures are worked out by hand.</summary>
public sealed class ClassificationReportTests
{
    [Fact]
    public void A_three_class_matrix_gives_the_hand_computed_scores_and_averages()
    {
        long[][] confusion = [[5, 1, 0], [2, 3, 1], [0, 0, 4]]; // rows: true class; columns: predicted
        var report = ClassificationReport.FromConfusion(confusion);

        // predicted per class (column sums) 7, 4, 5; support (row sums) 6, 6, 4; 12 of 16 on the diagonal
        double[] precision = [5.0 / 7, 3.0 / 4, 4.0 / 5];
        double[] recall = [5.0 / 6, 3.0 / 6, 4.0 / 4];
        double[] f1 = [10.0 / 13, 3.0 / 5, 8.0 / 9]; // 2·TP / (2·TP + FP + FN): 10/13, 6/10, 8/9
        long[] support = [6, 6, 4];
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(precision[k], report.Classes[k].Precision, 12);
            Assert.Equal(recall[k], report.Classes[k].Recall, 12);
            Assert.Equal(f1[k], report.Classes[k].F1, 12);
            Assert.Equal(support[k], report.Classes[k].Support);
        }
        Assert.Equal(16, report.Rows);
        Assert.Equal(12.0 / 16, report.Accuracy, 12);
        Assert.Equal((5.0 / 7 + 3.0 / 4 + 4.0 / 5) / 3, report.MacroAverage.Precision, 12);
        Assert.Equal(7.0 / 9, report.MacroAverage.Recall, 12); // (5/6 + 1/2 + 1) / 3
        Assert.Equal((10.0 / 13 + 3.0 / 5 + 8.0 / 9) / 3, report.MacroAverage.F1, 12);
        Assert.Equal((6 * 5.0 / 7 + 6 * 3.0 / 4 + 4 * 4.0 / 5) / 16, report.WeightedAverage.Precision, 12);
        Assert.Equal(12.0 / 16, report.WeightedAverage.Recall, 12); // weighted recall is the accuracy
        Assert.Equal((6 * 10.0 / 13 + 6 * 3.0 / 5 + 4 * 8.0 / 9) / 16, report.WeightedAverage.F1, 12);
        Assert.Equal(16, report.MacroAverage.Support);
        Assert.Equal(16, report.WeightedAverage.Support);
    }

    [Fact]
    public void A_class_never_predicted_or_never_present_scores_zero_and_counts_in_the_macro_average()
    {
        long[][] confusion = [[3, 0, 0], [2, 0, 0], [0, 0, 0]];
        var report = ClassificationReport.FromConfusion(confusion);

        Scores((3.0 / 5, 1.0, 3.0 / 4, 3), report.Classes[0]);
        Scores((0, 0, 0, 2), report.Classes[1]);
        Scores((0, 0, 0, 0), report.Classes[2]);
        Assert.Equal(1.0 / 5, report.MacroAverage.Precision, 12); // (3/5 + 0 + 0) / 3
        Assert.Equal(1.0 / 3, report.MacroAverage.Recall, 12);
        Assert.Equal(1.0 / 4, report.MacroAverage.F1, 12);
        Assert.Equal(9.0 / 25, report.WeightedAverage.Precision, 12); // (3 · 3/5 + 2 · 0) / 5
        Assert.Equal(3.0 / 5, report.WeightedAverage.Recall, 12);
        Assert.Equal(9.0 / 20, report.WeightedAverage.F1, 12); // (3 · 3/4) / 5
    }

    private static void Scores((double Precision, double Recall, double F1, long Support) expected, ClassScores actual)
    {
        Assert.Equal(expected.Precision, actual.Precision, 12);
        Assert.Equal(expected.Recall, actual.Recall, 12);
        Assert.Equal(expected.F1, actual.F1, 12);
        Assert.Equal(expected.Support, actual.Support);
    }

    [Fact]
    public void Labels_and_predictions_count_into_the_matrix_by_true_row_and_predicted_column()
    {
        float[] truth = [0, 0, 1, 2, 2, 2];
        float[] predicted = [0, 1, 1, 2, 0, 2];
        var report = ClassificationReport.Of(truth, predicted, 3);
        Assert.Equal([[1L, 1, 0], [0, 1, 0], [1, 0, 2]], report.Confusion);
    }
}
