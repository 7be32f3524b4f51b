using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Trainer.Client.Tests;

/// <summary>Data as people have it: train with --missing mean and --ignore-columns, and predict on new files read the same way.</summary>
public sealed class MissingDataTests
{
    [Fact]
    public async Task A_model_trained_with_missing_mean_and_an_ignored_id_predicts_new_files_with_its_training_means()
    {
        using var dir = new TempFolder();
        var train = new StringBuilder("id,a,b,y\n");
        for (var i = 0; i < 40; i++)
            train.Append(CultureInfo.InvariantCulture, $"patient-{i},{(i % 7 == 3 ? "NA" : (i % 5).ToString(CultureInfo.InvariantCulture))},{(i % 9 == 2 ? "" : (i % 2 * 3 + i % 3).ToString(CultureInfo.InvariantCulture))},{i % 2}\n");
        var data = dir.File("biopsy.csv", train.ToString());
        var trained = await CliRunner.Run("train", "--model", "logreg", "--data", data, "--missing", "mean", "--ignore-columns", "id",
            "--cluster", "local", "--epochs", "2", "--batch", "8", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, string.Join('\n', trained.ErrorLines));

        using var model = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("run/model.json")));
        var origin = model.RootElement.GetProperty("origin");
        Assert.Equal("mean", origin.GetProperty("missing").GetString());
        Assert.Equal("id", origin.GetProperty("ignoreColumns").GetString());
        var means = origin.GetProperty("missingMeans").EnumerateArray().Select(m => m.GetDouble()).ToArray();
        Assert.Equal(2, means.Length);

        // a row with NA is predicted as the same row with the training mean written in; the new ids are text, ignored
        string Mean(int i) => means[i].ToString("R", CultureInfo.InvariantCulture);
        var fresh = dir.File("new.csv", $"id,a,b,y\nnew-1,NA,4,1\nnew-2,{Mean(0)},4,1\nnew-3,2,?,0\nnew-4,2,{Mean(1)},0\n");
        var predicted = await CliRunner.Run("predict", "--model-file", dir.Combine("run/model.json"), "--data", fresh, "--out", dir.Combine("p.csv"));
        Assert.True(predicted.ExitCode == 0, string.Join('\n', predicted.ErrorLines));
        var rows = File.ReadAllLines(dir.Combine("p.csv")).Skip(1).Select(l => string.Join(',', l.Split(',').Skip(1))).ToArray();
        Assert.Equal(4, rows.Length);
        Assert.Equal(rows[1], rows[0]);
        Assert.Equal(rows[3], rows[2]);
    }

    [Fact]
    public async Task A_model_trained_without_missing_refuses_a_new_files_missing_cell_saying_why()
    {
        using var dir = new TempFolder();
        var data = dir.File("full.csv", "a,y\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"{i % 4},{i % 2}\n")));
        Assert.Equal(0, (await CliRunner.Run("train", "--model", "logreg", "--data", data, "--cluster", "local", "--epochs", "1", "--batch", "8", "--out", dir.Combine("run"))).ExitCode);
        var fresh = dir.File("new.csv", "a,y\nNA,1\n");
        var predicted = await CliRunner.Run("predict", "--model-file", dir.Combine("run/model.json"), "--data", fresh, "--out", dir.Combine("p.csv"));
        Assert.Equal(2, predicted.ExitCode);
        Assert.Equal($"error: {fresh}, line 2, column 1 ('a'): a missing value ('NA'); the model was trained without --missing, so it reads complete rows only (train it with --missing drop or mean)",
            Assert.Single(predicted.ErrorLines));
    }
}
