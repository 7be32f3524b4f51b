using System.Globalization;
using System.Text;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>
/// A classification report as evaluate prints it: the confusion matrix (rows by class number and
/// name, columns by number), then scikit-learn's classification_report layout with four decimals.
/// </summary>
public static class ClassificationReportText
{
    private const int Column = 11;
    private static readonly string[] Averages = ["accuracy", "macro avg", "weighted avg"];

    public static string Render(ClassificationReport report, IReadOnlyList<string> names)
    {
        var text = new StringBuilder();
        var k = names.Count;
        var numbers = Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var rowLabels = numbers.Select((n, i) => names[i] == n ? n : $"{n} {names[i]}").ToArray(); // the digits' names are their numbers
        var labelWidth = rowLabels.Max(l => l.Length);
        var cell = Math.Max(numbers[^1].Length, report.Confusion.SelectMany(r => r).Max().ToString(CultureInfo.InvariantCulture).Length) + 2;
        text.AppendLine("confusion matrix (rows: the true class; columns: the predicted class, by number)");
        text.AppendLine(($"  {new string(' ', labelWidth)}" + string.Concat(numbers.Select(n => n.PadLeft(cell)))).TrimEnd());
        for (var i = 0; i < k; i++)
            text.AppendLine($"  {rowLabels[i].PadRight(labelWidth)}{string.Concat(report.Confusion[i].Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(cell)))}");

        var nameWidth = Math.Max(names.Max(n => n.Length), Averages.Max(a => a.Length));
        text.AppendLine();
        text.AppendLine($"  {new string(' ', nameWidth)}{"precision",Column}{"recall",Column}{"f1-score",Column}{"support",Column}");
        for (var i = 0; i < k; i++) text.AppendLine(Row(names[i], nameWidth, report.Classes[i]));
        text.AppendLine();
        text.AppendLine($"  {"accuracy".PadLeft(nameWidth)}{"",Column}{"",Column}{F(report.Accuracy),Column}{report.Rows,Column}");
        text.AppendLine(Row("macro avg", nameWidth, report.MacroAverage));
        text.AppendLine(Row("weighted avg", nameWidth, report.WeightedAverage));
        return text.ToString();
    }

    private static string Row(string name, int width, ClassScores scores) =>
        $"  {name.PadLeft(width)}{F(scores.Precision),Column}{F(scores.Recall),Column}{F(scores.F1),Column}{scores.Support,Column}";

    private static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
