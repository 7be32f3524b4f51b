using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>
/// What <c>trainer evaluate --json</c> prints and <c>--out</c> writes (camelCase; docs/cli.md): the
/// metrics, and for a classifier the class names, the confusion matrix (row: true class, column:
/// predicted) and scikit-learn's classification_report as per-class and averaged scores.
/// </summary>
public sealed record EvaluationJson(
    string Model, string Data, long Rows, double Loss, double? Accuracy, double? Mse, double? R2,
    string[]? Classes, [property: JsonConverter(typeof(EvaluationJson.RowPerLine))] long[][]? ConfusionMatrix, EvaluationJson.ClassEntry[]? PerClass, EvaluationJson.Scores? MacroAvg, EvaluationJson.Scores? WeightedAvg)
{
    public sealed record ClassEntry(string Name, double Precision, double Recall, double F1, long Support);

    public sealed record Scores(double Precision, double Recall, double F1, long Support);

    public static EvaluationJson From(string model, string data, Metrics metrics, ClassificationReport? report, string[] names) => report is null
        ? new(model, data, metrics.Count, metrics.Loss, metrics.Accuracy, metrics.Mse, metrics.R2, null, null, null, null, null)
        : new(model, data, metrics.Count, metrics.Loss, metrics.Accuracy, metrics.Mse, metrics.R2, names, report.Confusion,
            report.Classes.Select((c, i) => new ClassEntry(names[i], c.Precision, c.Recall, c.F1, c.Support)).ToArray(),
            Of(report.MacroAverage), Of(report.WeightedAverage));

    private static Scores Of(ClassScores s) => new(s.Precision, s.Recall, s.F1, s.Support);

    /// <summary>The confusion matrix with a row per line when indented, as people read a matrix (not a number per line).</summary>
    public sealed class RowPerLine : JsonConverter<long[][]>
    {
        public override long[][] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<long[][]>(ref reader) ?? [];

        public override void Write(Utf8JsonWriter writer, long[][] value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            var indent = options.WriteIndented ? "\n" + new string(' ', 2 * writer.CurrentDepth) : "";
            foreach (var row in value) writer.WriteRawValue($"{indent}[{string.Join(options.WriteIndented ? ", " : ",", row)}]");
            writer.WriteEndArray();
        }
    }
}
