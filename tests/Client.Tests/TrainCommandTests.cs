using System.Text.Json;
using Trainer.Client.Commands.Train;
using Trainer.Grains.Messages;

namespace Trainer.Client.Tests;

public sealed class TrainCommandTests
{
    [Fact]
    public async Task Train_with_no_options_runs_the_main_job_on_an_embedded_two_silo_cluster()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--out", dir.Path);
        Assert.Equal(0, outcome.ExitCode);
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        var root = report.RootElement;
        Assert.Equal("mlp 64-256-10 relu", root.GetProperty("model").GetString());
        Assert.Equal("digits", root.GetProperty("dataset").GetString());
        Assert.Equal("embedded:2", root.GetProperty("cluster").GetString());
        Assert.Equal(2, root.GetProperty("silos").GetInt32());
        Assert.Equal(2, root.GetProperty("workers").GetInt32());
        Assert.Equal("sync", root.GetProperty("mode").GetString());
        Assert.True(root.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.97);
        Assert.True(root.GetProperty("bytesPerStep").GetInt64() > 0);
        foreach (var part in new[] { "computeMs", "communicationMs", "updateMs" })
            Assert.True(root.GetProperty("stepTime").GetProperty(part).GetDouble() > 0, part);
        Assert.Equal(2, root.GetProperty("workerSilos").EnumerateArray().Select(s => s.GetString()).Distinct().Count());
    }

    [Fact]
    public async Task The_cluster_and_the_local_trainer_write_the_same_weights_hash()
    {
        using var dir = new TempFolder();
        foreach (var cluster in new[] { "local", "embedded:2" })
            Assert.Equal(0, (await CliRunner.Run(["train", .. Quick, "--cluster", cluster, "--out", dir.Combine(cluster)])).ExitCode);
        string Hash(string run) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Combine(run), "report.json"))).RootElement.GetProperty("weightsSha256").GetString()!;
        Assert.Equal(Hash("local"), Hash("embedded:2"));
    }

    private static readonly string[] Quick = ["--data", "breast-cancer", "--model", "logreg", "--epochs", "5"];

    private static TrainRequest Request(params string[] args) => TrainArguments.Read(Cli.Read(["train", .. args], _ => null));

    [Fact]
    public void Batch_auto_reads_its_range_start_and_pinned_cost_and_defaults_to_the_partitions_grid()
    {
        var defaults = Request("--batch", "auto").Options;
        Assert.NotNull(defaults.AutoBatch);
        Assert.Equal((32, 0, 32, 8), (defaults.AutoBatch!.Min, defaults.AutoBatch.Max, defaults.Batch, defaults.Partitions)); // max 0: settled where the data is
        Assert.Null(defaults.AutoBatch.Cost);
        var given = Request("--batch", "auto", "--partitions", "3", "--batch-max", "768", "--batch-start", "96", "--batch-cost", "2.5,0.012").Options;
        Assert.Equal((48, 768, 96, 3), (given.AutoBatch!.Min, given.AutoBatch.Max, given.Batch, given.Partitions));
        Assert.Equal(new Core.Scaling.StepCostFit(2.5, 0.012), given.AutoBatch.Cost);
        Assert.Null(Request("--batch", "128").Options.AutoBatch);
    }

    [Fact]
    public void Workers_auto_is_the_default_and_left_to_the_job_a_count_is_kept()
    {
        Assert.Null(Request("--cluster", "localhost:30000").Workers);
        Assert.Null(Request("--cluster", "redis://127.0.0.1:6379", "--workers", "auto").Workers);
        Assert.Equal(JobSpec.AutoWorkers, Request("--workers", "auto").ToJob(silos: 3).Workers); // the pool counts the silos it finds
        Assert.Equal(2, Request("--cluster", "embedded:3", "--workers", "2").ToJob(silos: 3).Workers);
    }

    [Fact]
    public async Task Train_writes_a_complete_report_a_model_file_and_a_curves_png()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run(["train", .. Quick, "--job", "my-job", "--out", dir.Path]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.StartsWith("job my-job", outcome.Output);

        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        var root = report.RootElement;
        foreach (var field in new[] { "model", "dataset", "parameterCount", "options", "kernel", "cluster", "silos", "workers", "partitions",
                     "mode", "globalBatch", "job", "epochs", "bestEpoch", "stoppedEarly", "test", "samplesPerSecond", "wallSeconds", "weightsSha256" })
            Assert.True(root.TryGetProperty(field, out _), $"report.json lacks {field}");
        Assert.Equal("my-job", root.GetProperty("job").GetString());
        Assert.Equal(31, root.GetProperty("parameterCount").GetInt32());
        Assert.Equal(0.05, root.GetProperty("options").GetProperty("lr").GetDouble());
        Assert.Contains(root.GetProperty("kernel").GetString(), new[] { "openblas", "managed" });
        Assert.Matches("^[0-9a-f]{64}$", root.GetProperty("weightsSha256").GetString());
        var epoch = root.GetProperty("epochs")[0];
        foreach (var field in new[] { "epoch", "trainLoss", "valLoss", "valAccuracy", "testAccuracy", "trainSeconds", "samplesPerSecond" })
            Assert.True(epoch.TryGetProperty(field, out _), $"epoch entry lacks {field}");
        Assert.InRange(root.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.9, 1.0);

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.Combine("curves.png"))[..4]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.partial"));
        Assert.False(File.Exists(dir.Combine("progress.json")), "a finished run's folder keeps its progress.json"); // trainer dashboard's while it ran
    }

    [Fact]
    public async Task Evaluate_reads_the_model_back_and_scores_the_same_test_split()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run(["train", .. Quick, "--out", dir.Path])).ExitCode);
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        var test = report.RootElement.GetProperty("test");

        var outcome = await CliRunner.Run("evaluate", "--model-file", dir.Combine("model.json"), "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var metrics = JsonDocument.Parse(outcome.Output);
        Assert.Equal(test.GetProperty("accuracy").GetDouble(), metrics.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(test.GetProperty("loss").GetDouble(), metrics.RootElement.GetProperty("loss").GetDouble(), 12);
        Assert.Equal(report.RootElement.GetProperty("testRows").GetInt32(), metrics.RootElement.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task The_same_options_and_seed_give_the_same_weights_hash_on_every_run()
    {
        using var dir = new TempFolder();
        var hashes = new List<string>();
        foreach (var (run, threads) in new[] { ("a", "1"), ("b", "2"), ("c", "2") })
        {
            Assert.Equal(0, (await CliRunner.Run(["train", "--epochs", "2", "--hidden", "16", "--threads", threads, "--out", dir.Combine(run)])).ExitCode);
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Combine(run), "report.json")));
            hashes.Add(report.RootElement.GetProperty("weightsSha256").GetString()!);
        }
        Assert.All(hashes, h => Assert.Equal(hashes[0], h));
    }

    [Fact]
    public async Task Regression_reports_mse_and_r2()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run("train", "--data", "diabetes", "--model", "linreg", "--epochs", "30", "--out", dir.Path)).ExitCode);
        using var report = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("report.json")));
        var test = report.RootElement.GetProperty("test");
        Assert.InRange(test.GetProperty("r2").GetDouble(), 0.3, 0.7); // diabetes: least squares explains about half the variance
        Assert.True(test.GetProperty("mse").GetDouble() > 0);
        Assert.True(report.RootElement.GetProperty("epochs")[0].TryGetProperty("valR2", out _));
    }

    [Fact]
    public async Task A_diverging_run_exits_3_naming_step_and_learning_rate_and_writes_nothing()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("train", "--data", "diabetes", "--model", "linreg", "--lr", "1e30", "--out", dir.Combine("out"));
        Assert.Equal(3, outcome.ExitCode);
        var line = Assert.Single(outcome.ErrorLines);
        Assert.Matches(@"^error: training diverged at step \d+ \(epoch 1, learning rate 1E\+30\)", line);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public async Task Evaluate_refuses_a_damaged_model_file_and_data_of_another_width()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run(["train", .. Quick, "--out", dir.Path])).ExitCode);
        var narrow = dir.File("narrow.csv", "a,b,y\n1,2,0\n3,4,1\n");
        var outcome = await CliRunner.Run("evaluate", "--model-file", dir.Combine("model.json"), "--data", narrow);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal($"error: {narrow}: has 2 features, the model expects 30", Assert.Single(outcome.ErrorLines));

        var damaged = dir.File("broken.json", File.ReadAllText(dir.Combine("model.json"))[..200]);
        outcome = await CliRunner.Run("evaluate", "--model-file", damaged);
        Assert.Equal(2, outcome.ExitCode);
        Assert.StartsWith($"error: {damaged}: not a model file", Assert.Single(outcome.ErrorLines));
    }
}
