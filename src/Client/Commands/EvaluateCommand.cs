using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Commands;

/// <summary><c>trainer evaluate</c>: the metrics of a saved model on a data set (by default its own test part).</summary>
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
        new("--json", "print the metrics as JSON"),
    ];

    public static int Run(ParsedArguments args, TextWriter output)
    {
        var modelFile = ModelFile.Read(args.Required("--model-file"));
        var spec = modelFile.Spec;
        var dataset = ModelData.Read(modelFile, args);

        var kernel = KernelChoice.Select(args.Choice("--kernel", "auto", KernelChoice.Names));
        var metrics = Evaluator.Evaluate(new Network(spec), kernel, modelFile.Weights, dataset, args.Int("--threads", Environment.ProcessorCount, 1, 1024));
        if (args.Flag("--json"))
            output.WriteLine(JsonSerializer.Serialize(new { model = spec.ToString(), data = dataset.Name, rows = metrics.Count, metrics.Loss, metrics.Accuracy, metrics.Mse, metrics.R2 },
                new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        else
            output.WriteLine($"{spec} on {dataset.Name} ({metrics.Count} rows): {metrics}");
        return ExitCode.Done;
    }
}
