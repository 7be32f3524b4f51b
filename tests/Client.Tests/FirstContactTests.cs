using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Trainer.Client.Tests;

/// <summary>
/// What a new user meets in the first hour: textbook recipes of every loss head, small data, files
/// with class names and other delimiters, models too big for the machine.
/// </summary>
public sealed class FirstContactTests
{
    private static readonly string IrisTrain = Path.Combine(AppContext.BaseDirectory, "Data", "iris-train.csv");
    private static readonly string IrisTest = Path.Combine(AppContext.BaseDirectory, "Data", "iris-test.csv");

    private static JsonElement Report(string folder) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "report.json"))).RootElement;

    /// <summary>The built-in breast-cancer table with its classes written as −1/+1, as the perceptron's textbooks write them.</summary>
    private static string PlusMinusOneBreastCancer(TempFolder dir)
    {
        using var stream = typeof(Trainer.Core.Data.BuiltInDatasets).Assembly.GetManifestResourceStream("Trainer.Core.Data.BuiltIn.breast_cancer.csv")!;
        var lines = new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var relabelled = lines.Skip(1).Select(l => l[..(l.LastIndexOf(',') + 1)] + (l[(l.LastIndexOf(',') + 1)..].Trim() == "1" ? "+1" : "-1"));
        return dir.File("breast-cancer-pm1.csv", string.Join('\n', [lines[0], .. relabelled]) + "\n");
    }

    [Theory]
    [InlineData("perceptron", "local")]
    [InlineData("svm", "local")]
    [InlineData("perceptron", "embedded:2")]
    [InlineData("svm", "embedded:2")]
    public async Task Margin_models_textbook_recipe_on_plus_minus_one_labels_trains_without_a_false_stop(string model, string cluster)
    {
        using var dir = new TempFolder();
        var data = PlusMinusOneBreastCancer(dir);
        // the classic recipe: one row per step, lr 0.1, no momentum (the perceptron's first loss is often exactly 0)
        var outcome = await CliRunner.Run("train", "--model", model, "--data", data, "--batch", "1", "--partitions", "1", "--lr", "0.1", "--momentum", "0",
            "--epochs", "3", "--cluster", cluster, "--out", dir.Combine("out"));
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.True(Report(dir.Combine("out")).GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.9);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("embedded:2")]
    public async Task A_real_explosion_of_the_mlp_still_exits_3_within_two_steps(string cluster)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--lr", "1000", "--cluster", cluster, "--out", dir.Combine("out"));
        Assert.Equal(3, outcome.ExitCode);
        var line = Assert.Single(outcome.ErrorLines);
        Assert.Matches(@"^error: training diverged at step [12] \(epoch 1, learning rate 1000\): ", line);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public async Task Softmax_on_a_small_data_set_is_not_stopped_on_noise_and_scores_as_scikit_learn_does()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--model", "softmax", "--data", IrisTrain, "--test", IrisTest, "--epochs", "100", "--batch", "16",
            "--lr", "0.05", "--cluster", "local", "--out", dir.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.Contains("note: the validation set has 12 rows, fewer than the 50 early stopping needs to decide on", outcome.Output);
        var report = Report(dir.Path);
        Assert.Equal(100, report.GetProperty("epochs").GetArrayLength());
        Assert.False(report.GetProperty("stoppedEarly").GetBoolean());
        Assert.Equal(100, report.GetProperty("bestEpoch").GetInt32());
        // scikit-learn's LogisticRegression scores 0.9778 (44 of 45) on this split
        Assert.True(report.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.9778 - 0.02);
    }

    [Fact]
    public async Task Class_names_train_on_a_cluster_and_reach_predict_evaluate_and_the_onnx_metadata()
    {
        using var dir = new TempFolder();
        var train = await CliRunner.Run("train", "--model", "softmax", "--data", IrisTrain, "--test", IrisTest, "--epochs", "30", "--batch", "16", "--out", dir.Combine("run"));
        Assert.True(train.ExitCode == 0, train.Errors);
        string[] names = ["setosa", "versicolor", "virginica"];
        Assert.Equal(names, Report(dir.Combine("run")).GetProperty("classNames").EnumerateArray().Select(n => n.GetString()));
        var modelFile = dir.Combine("run/model.json");
        Assert.Equal(names, Trainer.Core.Models.ModelFile.Read(modelFile).ClassNames);

        var predict = await CliRunner.Run("predict", "--model-file", modelFile, "--out", dir.Combine("predictions.csv"));
        Assert.True(predict.ExitCode == 0, predict.Errors);
        var rows = File.ReadAllLines(dir.Combine("predictions.csv"));
        Assert.Equal(46, rows.Length); // the --test file by default
        Assert.All(rows.Skip(1), r => Assert.Contains(r.Split(',')[2], names));
        Assert.Equal(File.ReadAllLines(IrisTest).Skip(1).Select(l => l.Split(',')[^1]), rows.Skip(1).Select(r => r.Split(',')[1]));

        var evaluate = await CliRunner.Run("evaluate", "--model-file", modelFile, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Errors);
        using var metrics = JsonDocument.Parse(evaluate.Output);
        Assert.Equal(45, metrics.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(Report(dir.Combine("run")).GetProperty("test").GetProperty("accuracy").GetDouble(), metrics.RootElement.GetProperty("accuracy").GetDouble());

        Assert.Equal(0, (await CliRunner.Run("export", "--model-file", modelFile, "--out", dir.Combine("model.onnx"))).ExitCode);
        using var session = new InferenceSession(dir.Combine("model.onnx"));
        Assert.Equal(names, JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));
        Assert.Equal(Trainer.Core.Training.WeightsHash.Sha256(Trainer.Core.Models.ModelFile.Read(modelFile).Weights), session.ModelMetadata.CustomMetadataMap["weights_sha256"]);
    }

    [Theory]
    [InlineData(';', "iris.csv", new[] { "--delimiter", ";" })]
    [InlineData('\t', "iris.tsv", new string[0])]
    [InlineData('\t', "iris.txt", new[] { "--delimiter", "tab" })]
    public async Task Semicolon_and_tab_files_with_quoted_names_train_to_the_same_weights_as_the_comma_file(char delimiter, string name, string[] options)
    {
        using var dir = new TempFolder();
        // the same rows: class names quoted, and with ';' the decimal comma of many locales
        var lines = File.ReadAllLines(IrisTrain).Select((line, i) =>
        {
            var cells = line.Split(',');
            if (i > 0) cells[^1] = $"\"{cells[^1]}\"";
            return string.Join(delimiter, delimiter == ';' ? cells.Select(c => c.Replace('.', ',')) : cells);
        });
        var file = dir.File(name, string.Join("\r\n", lines) + "\r\n");
        string[] common = ["--model", "softmax", "--epochs", "3", "--batch", "16", "--cluster", "local"];
        Assert.Equal(0, (await CliRunner.Run(["train", .. common, "--data", IrisTrain, "--out", dir.Combine("comma")])).ExitCode);
        var other = await CliRunner.Run(["train", .. common, "--data", file, .. options, "--out", dir.Combine("other")]);
        Assert.True(other.ExitCode == 0, other.Errors);
        Assert.Equal(Report(dir.Combine("comma")).GetProperty("weightsSha256").GetString(), Report(dir.Combine("other")).GetProperty("weightsSha256").GetString());
    }

    [Fact]
    public async Task Quoted_fields_holding_the_delimiter_parse()
    {
        using var dir = new TempFolder();
        var file = dir.File("quoted.csv", "\"width, cm\",\"height, cm\",kind\n" + string.Join("\n", Enumerable.Range(0, 40).Select(i =>
            $"{(i % 2 == 0 ? 1 + i * 0.01 : 3 + i * 0.01).ToString(CultureInfo.InvariantCulture)},{i % 5},\"{(i % 2 == 0 ? "small, round" : "large, \"\"flat\"\"")}\"")) + "\n");
        var outcome = await CliRunner.Run("train", "--model", "logreg", "--data", file, "--epochs", "20", "--batch", "8", "--val-fraction", "0", "--cluster", "local", "--out", dir.Combine("out"));
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        var report = Report(dir.Combine("out"));
        Assert.Equal(["large, \"flat\"", "small, round"], report.GetProperty("classNames").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(1.0, report.GetProperty("test").GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task An_mlp_on_the_built_in_regression_set_is_a_regression_mlp()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--model", "mlp", "--data", "diabetes", "--cluster", "local", "--out", dir.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        var report = Report(dir.Path);
        Assert.Equal("mlp 10-256-1 relu", report.GetProperty("model").GetString());
        Assert.Equal("regression", report.GetProperty("options").GetProperty("task").GetString());
        Assert.InRange(report.GetProperty("test").GetProperty("r2").GetDouble(), 0.3, 1);
    }
}
