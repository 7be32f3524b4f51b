using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Client.Tests;

/// <summary>
/// A model exported to ONNX, run by ONNX Runtime on the raw test features, predicts what
/// <c>trainer predict</c> writes: the same labels, and probabilities, scores or values within
/// float tolerance (the graph computes in a different order).
/// </summary>
public sealed class ExportTests
{
    public static TheoryData<string, string[]> Models() => new()
    {
        { "linreg", ["--model", "linreg", "--data", "diabetes", "--epochs", "20"] },
        { "logreg", ["--model", "logreg", "--data", "breast-cancer", "--epochs", "5"] },
        { "softmax", ["--model", "softmax", "--data", "digits", "--epochs", "5"] },
        { "mlp", ["--model", "mlp", "--data", "digits", "--hidden", "32,16", "--activation", "tanh", "--epochs", "5"] },
        { "mlp-relu", ["--model", "mlp", "--data", "digits", "--hidden", "24", "--epochs", "5"] },
        { "svm", ["--model", "svm", "--data", "breast-cancer", "--epochs", "5"] },
        { "perceptron", ["--model", "perceptron", "--data", "breast-cancer", "--epochs", "5", "--momentum", "0"] },
        { "cnn", ["--model", "cnn", "--data", "digits", "--input-shape", "1,8,8", "--layers", "conv3x3x6p1,maxpool2,conv2x2x8s1p1,avgpool2s1,dense32", "--activation", "tanh", "--dropout", "0.2", "--epochs", "5"] },
        { "lenet", ["--model", "lenet", "--data", "fashion-mnist", "--dropout", "0.1", "--epochs", "1", "--val-fraction", "0"] },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task The_exported_onnx_model_predicts_what_the_product_predicts(string name, string[] train)
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run(["train", .. train, "--cluster", "local", "--out", dir.Path])).ExitCode);
        var modelFile = dir.Combine("model.json");
        var export = await CliRunner.Run("export", "--model-file", modelFile, "--format", "onnx", "--out", dir.Combine("model.onnx"));
        Assert.True(export.ExitCode == 0, export.Errors);
        var predict = await CliRunner.Run("predict", "--model-file", modelFile, "--out", dir.Combine("predictions.csv"));
        Assert.True(predict.ExitCode == 0, predict.Errors);

        // the raw test features, as the model's data origin rebuilds them (no preprocessing: the graph standardises)
        var model = ModelFile.Read(modelFile);
        var rule = model.Spec.IsRegression ? LabelRule.Regression : new LabelRule(true, model.Spec.Classes, model.Spec.Kind);
        var data = DataLoader.ReadForEvaluation(model.Origin.Data, rule, model.Origin.LabelColumn, model.Spec.Features, model.Origin.Seed, model.Origin.TestFraction);

        using var session = new InferenceSession(dir.Combine("model.onnx"));
        if (!model.Spec.IsRegression) // a classifier's metadata names its classes as predict does (Fashion-MNIST's garments)
            Assert.Equal(model.ClassLabels, System.Text.Json.JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));
        var input = new DenseTensor<float>(data.X, [data.Count, data.Features]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        var outputs = results.ToDictionary(r => r.Name, r => r);

        var rows = File.ReadAllLines(dir.Combine("predictions.csv"));
        var header = rows[0].Split(',');
        // a classifier's label and predicted columns name its classes (Fashion-MNIST's garments): back to their numbers
        float Cell(string cell, int column) => column is 1 or 2 && !model.Spec.IsRegression
            ? Array.IndexOf(model.ClassLabels, cell) is >= 0 and var index ? index : throw new Xunit.Sdk.XunitException($"{name}: '{cell}' names no class")
            : float.Parse(cell, CultureInfo.InvariantCulture);
        Assert.Equal(data.Count, rows.Length - 1);
        for (var i = 0; i < data.Count; i++)
        {
            var cells = rows[i + 1].Split(',').Select((c, k) => Cell(c, k)).ToArray();
            if (model.Spec.IsRegression)
            {
                Assert.Equal(cells[2], outputs["value"].AsTensor<float>()[i, 0], 1e-4f * Math.Max(1, Math.Abs(cells[2])));
                continue;
            }
            var onnxLabel = outputs["label"].AsTensor<long>()[i];
            // a different label only where the top two outputs tie to within float rounding
            if (cells[2] != onnxLabel)
                Assert.True(TiedOutputs(outputs, i, (int)cells[2], (int)onnxLabel), $"{name}, row {i}: the product predicts {cells[2]}, ONNX {onnxLabel}");
            for (var k = 3; k < header.Length; k++)
            {
                var onnx = header[k] switch
                {
                    "probability" => outputs["probability"].AsTensor<float>()[i, 0],
                    "score" => outputs["score"].AsTensor<float>()[i, 0],
                    var p => outputs["probabilities"].AsTensor<float>()[i, int.Parse(p[1..])],
                };
                Assert.Equal(cells[k], onnx, 1e-4f * Math.Max(1, Math.Abs(cells[k])));
            }
        }
    }

    private static bool TiedOutputs(Dictionary<string, DisposableNamedOnnxValue> outputs, int row, int product, int onnx) =>
        outputs.TryGetValue("probabilities", out var p)
            ? Math.Abs(p.AsTensor<float>()[row, product] - p.AsTensor<float>()[row, onnx]) < 1e-5f
            : Math.Abs((outputs.GetValueOrDefault("score") ?? outputs["probability"]).AsTensor<float>()[row, 0] - (outputs.ContainsKey("score") ? 0f : 0.5f)) < 1e-5f;
}
