using System.Text.Json;
using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Client.Tests;

/// <summary>evaluate's confusion matrix and per-class report, in text and JSON; class names in evaluate, predict and the report.</summary>
public sealed class EvaluateReportTests
{
    private static readonly string[] Garments = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    [Fact]
    public async Task Evaluate_prints_the_confusion_matrix_and_class_report_and_out_writes_them_as_json()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run("train", "--data", "breast-cancer", "--model", "logreg", "--epochs", "2", "--cluster", "local", "--out", dir.Combine("run"))).ExitCode);
        var model = dir.Combine("run/model.json");

        var text = await CliRunner.Run("evaluate", "--model-file", model, "--out", dir.Combine("metrics.json"));
        Assert.True(text.ExitCode == 0, text.Errors);
        foreach (var part in new[] { "confusion matrix", "precision", "recall", "f1-score", "support", "accuracy", "macro avg", "weighted avg", $"wrote {dir.Combine("metrics.json")}" })
            Assert.Contains(part, text.Output);

        using var file = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("metrics.json")));
        var root = file.RootElement;
        var rows = root.GetProperty("rows").GetInt64();
        Assert.Equal(["0", "1"], root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        var matrix = root.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        Assert.Equal(2, matrix.Length);
        Assert.Equal(rows, matrix.Sum(r => r.Sum()));
        Assert.Equal(root.GetProperty("accuracy").GetDouble(), (double)(matrix[0][0] + matrix[1][1]) / rows, 12);
        var perClass = root.GetProperty("perClass").EnumerateArray().ToArray();
        for (var k = 0; k < 2; k++)
        {
            double correct = matrix[k][k], predicted = matrix[0][k] + matrix[1][k], support = matrix[k].Sum();
            Assert.Equal(k.ToString(), perClass[k].GetProperty("name").GetString());
            Assert.Equal(correct / predicted, perClass[k].GetProperty("precision").GetDouble(), 12);
            Assert.Equal(correct / support, perClass[k].GetProperty("recall").GetDouble(), 12);
            Assert.Equal(2 * correct / (predicted + support), perClass[k].GetProperty("f1").GetDouble(), 12);
            Assert.Equal(support, perClass[k].GetProperty("support").GetInt64());
        }
        Assert.Equal(rows, root.GetProperty("weightedAvg").GetProperty("support").GetInt64());
        Assert.True(root.TryGetProperty("macroAvg", out _));

        var json = await CliRunner.Run("evaluate", "--model-file", model, "--json");
        Assert.True(json.ExitCode == 0, json.Errors);
        using var printed = JsonDocument.Parse(json.Output);
        Assert.Equal(JsonSerializer.Serialize(root), JsonSerializer.Serialize(printed.RootElement)); // the same document, printed and written
    }

    [Fact]
    public async Task Regression_has_no_class_report()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run("train", "--data", "diabetes", "--model", "linreg", "--epochs", "2", "--cluster", "local", "--out", dir.Combine("run"))).ExitCode);
        var outcome = await CliRunner.Run("evaluate", "--model-file", dir.Combine("run/model.json"), "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        using var metrics = JsonDocument.Parse(outcome.Output);
        Assert.True(metrics.RootElement.TryGetProperty("r2", out _));
        Assert.False(metrics.RootElement.TryGetProperty("confusionMatrix", out _));
        Assert.False(metrics.RootElement.TryGetProperty("classes", out _));
    }

    /// <summary>A Fashion-MNIST softmax model that calls every image a bag: its scores on the balanced t10k set are known exactly.</summary>
    private static string EverythingIsABag(TempFolder dir)
    {
        var spec = new ModelSpec(ModelSpec.Softmax, 784, 10, []);
        var network = new Network(spec);
        var weights = new float[network.ParameterCount];
        weights[network.Tensors.Single(t => t.Rows * t.Cols == 10).Offset + 8] = 1; // the bias of class 8, Bag
        var model = new ModelFile(spec, Preprocessor.Identity, new DataOrigin(BuiltInDatasets.FashionMnist, null, 42, 0), weights);
        return dir.File("model.json", model.ToBytes());
    }

    [Fact]
    public async Task Fashion_mnist_classes_go_by_their_names_in_evaluate_its_json_and_predict()
    {
        using var dir = new TempFolder();
        var model = EverythingIsABag(dir);

        var text = await CliRunner.Run("evaluate", "--model-file", model);
        Assert.True(text.ExitCode == 0, text.Errors);
        var lines = text.Output.Split('\n');
        string[] Counts(string row) => lines.Single(l => l.StartsWith($"  {row} ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^10..];
        string[] bagColumn = ["0", "0", "0", "0", "0", "0", "0", "0", "1000", "0"]; // every class's 1000 images predicted bags
        Assert.Equal(bagColumn, Counts("0 T-shirt/top"));
        Assert.Equal(bagColumn, Counts("8 Bag"));
        Assert.Equal(bagColumn, Counts("9 Ankle boot"));
        Assert.Contains(lines, l => l.Trim() == "Bag     0.1000     1.0000     0.1818       1000");
        Assert.Contains(lines, l => l.Trim() == "Ankle boot     0.0000     0.0000     0.0000       1000");
        Assert.Contains(lines, l => l.Trim() == "accuracy                           0.1000      10000");

        var json = await CliRunner.Run("evaluate", "--model-file", model, "--json");
        using var metrics = JsonDocument.Parse(json.Output);
        var root = metrics.RootElement;
        Assert.Equal(Garments, root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        var bag = root.GetProperty("perClass")[8];
        Assert.Equal(("Bag", 0.1, 1.0, 1000L), (bag.GetProperty("name").GetString(), bag.GetProperty("precision").GetDouble(), bag.GetProperty("recall").GetDouble(), bag.GetProperty("support").GetInt64()));
        Assert.Equal(2 * 0.1 / 1.1, bag.GetProperty("f1").GetDouble(), 12);
        Assert.Equal(0.1 / 10, root.GetProperty("macroAvg").GetProperty("precision").GetDouble(), 12);
        Assert.Equal(2 * 0.1 / 1.1 / 10, root.GetProperty("weightedAvg").GetProperty("f1").GetDouble(), 12); // every class 1000 rows: weighted is macro
        Assert.All(root.GetProperty("confusionMatrix").EnumerateArray(), row => // every class's 1000 images in the Bag column
            Assert.Equal(Enumerable.Range(0, 10).Select(k => k == 8 ? 1000L : 0), row.EnumerateArray().Select(c => c.GetInt64())));

        var predict = await CliRunner.Run("predict", "--model-file", model, "--out", dir.Combine("predictions.csv"));
        Assert.True(predict.ExitCode == 0, predict.Errors);
        var rows = File.ReadAllLines(dir.Combine("predictions.csv")).Skip(1).Select(r => r.Split(',')).ToArray();
        Assert.Equal(10000, rows.Length);
        Assert.All(rows, r => Assert.Equal("Bag", r[2]));
        Assert.Equal(Garments.Order(), rows.Select(r => r[1]).Distinct().Order());
        Assert.All(rows.GroupBy(r => r[1]), g => Assert.Equal(1000, g.Count()));
    }

    [Fact]
    public async Task The_digits_report_names_its_classes()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--data", "digits", "--model", "softmax", "--epochs", "1", "--cluster", "local", "--out", dir.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString()), report.RootElement.GetProperty("classNames").EnumerateArray().Select(n => n.GetString()));
    }
}
