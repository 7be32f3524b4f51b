using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer evaluate</c>: the metrics of a saved model on a data set (by default its own test
/// part); for a classifier also its confusion matrix and per-class precision, recall and F1, by the
/// classes' names. <c>--json</c> prints all of it as JSON, <c>--out</c> writes that JSON to a file.
/// </summary>
public static class EvaluateCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model-file", "a model.json written by 'trainer train' (required)", "FILE"),
        new("--data", "data to score (default: the test part of the data the model was trained on)", "NAME|PATH"),
        new("--label-column", "CSV label column (default: as in training, else the last)", "NAME"),
        new("--delimiter", "field delimiter of a delimited text file (default: as in training for its own data; else comma, tab for .tsv)", "CHAR"),
        new("--kernel", "auto|openblas|managed (default auto)", "NAME") { Choices = KernelChoice.Names },
        new("--threads", "compute threads (default: all cores)", "T"),
        new("--json", "print the metrics (and a classifier's confusion matrix and per-class report) as JSON instead of text"),
        new("--out", "also write that JSON to this file (default: none)", "FILE"),
    ];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static int Run(ParsedArguments args, TextWriter output)
    {
        var modelFile = ModelFile.Read(args.Required("--model-file"));
        var outFile = args.String("--out");
        if (outFile is not null) RunOutput.CheckFileTarget(outFile);
        var spec = modelFile.Spec;
        var dataset = ModelData.Read(modelFile, args);

        var kernel = KernelChoice.Select(args.Choice("--kernel", "auto", KernelChoice.Names));
        var network = new Network(spec);
        var metrics = Evaluator.Evaluate(network, kernel, modelFile.Weights, dataset, args.Int("--threads", Environment.ProcessorCount, 1, 1024));
        var names = modelFile.ClassLabels;
        var report = spec.IsRegression ? null
            : ClassificationReport.Of(dataset.Y, Predictor.Predict(network, kernel, modelFile.Weights, dataset).Labels, names.Length);
        var document = EvaluationJson.From(spec.ToString(), dataset.Name, metrics, report, names);

        if (outFile is not null) RunOutput.WriteFile(outFile, JsonSerializer.SerializeToUtf8Bytes(document, new JsonSerializerOptions(Json) { WriteIndented = true }));
        if (args.Flag("--json"))
        {
            output.WriteLine(JsonSerializer.Serialize(document, Json));
            return ExitCode.Done;
        }
        output.WriteLine($"{spec} on {dataset.Name} ({metrics.Count} rows): {metrics}");
        if (report is not null)
        {
            output.WriteLine();
            output.Write(ClassificationReportText.Render(report, names));
        }
        if (outFile is not null) output.WriteLine($"wrote {outFile}");
        return ExitCode.Done;
    }
}
