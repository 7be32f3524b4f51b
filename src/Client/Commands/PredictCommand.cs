using System.Globalization;
using System.Text;
using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer predict</c>: a saved model's predictions for every row of a data set, as CSV:
/// the row, its label in the data, the predicted label, then the head's outputs (class
/// probabilities, the positive class's probability, or the score). Class labels are the model's
/// <see cref="ModelFile.ClassLabels"/>: the names the training data gave them, a built-in data
/// set's own (Fashion-MNIST's garments), or else the indices the model was trained with (a binary
/// −1/+1 file's labels are 0 and 1).
/// </summary>
public static class PredictCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model-file", "a model.json written by 'trainer train' (required)", "FILE"),
        new("--data", "data to predict (default: the test part of the data the model was trained on)", "NAME|PATH"),
        new("--label-column", "CSV label column (default: as in training, else the last)", "NAME"),
        new("--delimiter", "field delimiter of a delimited text file (default: as in training for its own data; else comma, tab for .tsv)", "CHAR"),
        new("--out", "the CSV file to write (default predictions.csv)", "FILE"),
        new("--kernel", "auto|openblas|managed (default auto)", "NAME") { Choices = KernelChoice.Names },
    ];

    public static int Run(ParsedArguments args, TextWriter output)
    {
        var model = ModelFile.Read(args.Required("--model-file"));
        var outFile = args.String("--out", "predictions.csv");
        RunOutput.CheckFileTarget(outFile);
        var data = ModelData.Read(model, args);
        var kernel = KernelChoice.Select(args.Choice("--kernel", "auto", KernelChoice.Names));
        var predictions = Predictor.Predict(new Network(model.Spec), kernel, model.Weights, data);

        var csv = new StringBuilder(string.Join(',', ["row", "label", "predicted", .. predictions.OutputNames])).Append('\n');
        var names = model.ClassLabels;
        string Label(float label) => model.Spec.IsRegression ? F(label) : Quoted(names[(int)label]);
        for (var i = 0; i < data.Count; i++)
        {
            csv.Append(i).Append(',').Append(Label(data.Y[i])).Append(',').Append(Label(predictions.Labels[i]));
            foreach (var value in predictions.Outputs[i]) csv.Append(',').Append(F(value));
            csv.Append('\n');
        }
        RunOutput.WriteFile(outFile, Encoding.UTF8.GetBytes(csv.ToString()));
        output.WriteLine($"{model.Spec} on {data.Name}: {data.Count} predictions written to {outFile}");
        return ExitCode.Done;
    }

    /// <summary>A class name as a CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line break.</summary>
    private static string Quoted(string name) =>
        name.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{name.Replace("\"", "\"\"")}\"" : name;

    /// <summary>Floats as the shortest text that reads back to the same float.</summary>
    private static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
