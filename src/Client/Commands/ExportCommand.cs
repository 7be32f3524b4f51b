using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.Core;
using Trainer.Core.Export;
using Trainer.Core.Models;

namespace Trainer.Client.Commands;

/// <summary><c>trainer export</c>: a saved model in another format; ONNX, taking raw features (the standardisation is part of the graph).</summary>
public static class ExportCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model-file", "a model.json written by 'trainer train'", "FILE"),
        new("--format", "onnx (default)", "NAME"),
        new("--out", "the file to write (default: the model file's name with .onnx)", "FILE"),
    ];

    public static int Run(ParsedArguments args, TextWriter output)
    {
        var path = args.Required("--model-file");
        args.Choice("--format", "onnx", ["onnx"]);
        var model = ModelFile.Read(path);
        var outFile = args.String("--out", Path.ChangeExtension(path, ".onnx"));
        if (Directory.Exists(outFile)) throw new UserInputException($"--out {outFile}: is a folder, expected a file");
        var bytes = OnnxExport.ToOnnx(model);
        try { RunOutput.WriteAtomically(outFile, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {outFile}: cannot write ({e.Message})");
        }
        output.WriteLine($"{model.Spec}: wrote {outFile} (ONNX, opset 17, {bytes.Length:N0} bytes); input 'features' [N, {model.Spec.Features}] raw, as in the data files");
        return ExitCode.Done;
    }
}
