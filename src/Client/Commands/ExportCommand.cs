using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Export;
using Trainer.Core.Models;

namespace Trainer.Client.Commands;

/// <summary><c>trainer export</c>: a saved model in another format; ONNX, taking raw features (the standardisation is part of the graph).</summary>
public static class ExportCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model-file", "a model.json written by 'trainer train' (required)", "FILE"),
        new("--format", "onnx (default)", "NAME") { Choices = ["onnx"] },
        new("--out", "the file to write (default: the model file's name with .onnx)", "FILE"),
    ];

    public static int Run(ParsedArguments args, TextWriter output)
    {
        var path = args.Required("--model-file");
        args.Choice("--format", "onnx", ["onnx"]);
        var model = ModelFile.Read(path);
        var outFile = args.String("--out", Path.ChangeExtension(path, ".onnx"));
        RunOutput.CheckFileTarget(outFile);
        var bytes = OnnxExport.ToOnnx(model);
        RunOutput.WriteFile(outFile, bytes);
        output.WriteLine($"{model.Spec}: wrote {outFile} (ONNX, opset 17, {bytes.Length:N0} bytes); input 'features' [N, {model.Spec.Features}] raw, as in the data files");
        return ExitCode.Done;
    }
}
