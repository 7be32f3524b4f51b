using System.Text.Json;
using System.Text.Json.Nodes;
using Trainer.Client.CommandLine;
using Trainer.Client.Commands.Train;
using Trainer.Client.Output;

namespace Trainer.Client.Tests;

/// <summary>train --config: a JSON file of options, a report.json among them, under the environment and the command line.</summary>
public sealed class ConfigFileTests
{
    private static JsonElement Report(string folder) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "report.json"))).RootElement.Clone();

    [Fact]
    public async Task A_reports_options_train_the_same_weights_again_and_an_edited_one_trains_what_it_says()
    {
        using var dir = new TempFolder();
        string[] experiment = ["--model", "mlp", "--hidden", "12,6", "--activation", "tanh", "--data", "breast-cancer", "--epochs", "3", "--batch", "32",
            "--lr", "0.1", "--momentum", "0.5", "--nesterov", "--weight-decay", "0.0001", "--seed", "7", "--val-fraction", "0.2", "--schedule", "cosine",
            "--warmup-epochs", "1", "--partitions", "4", "--patience", "2", "--monitor", "accuracy", "--cluster", "embedded:2", "--checkpoint-every", "5"];
        Assert.Equal(0, (await CliRunner.Run(["train", .. experiment, "--out", dir.Combine("first")])).ExitCode);
        var first = Report(dir.Combine("first"));

        var again = await CliRunner.Run("train", "--config", dir.Combine("first/report.json"), "--out", dir.Combine("again"));
        Assert.True(again.ExitCode == 0, again.Errors);
        Assert.Equal(first.GetProperty("weightsSha256").GetString(), Report(dir.Combine("again")).GetProperty("weightsSha256").GetString());
        Assert.Equal(first.GetProperty("options").ToString(), Report(dir.Combine("again")).GetProperty("options").ToString());

        var edited = JsonNode.Parse(File.ReadAllText(dir.Combine("first/report.json")))!["options"]!.AsObject();
        edited["hidden"] = "8"; // a list as a string, as on the command line
        edited["cluster"] = "local";
        foreach (var clusterOnly in new[] { "workers", "mode", "psShards", "checkpointEvery", "stepTimeout", "rebalance" }) edited.Remove(clusterOnly);
        var other = await CliRunner.Run("train", "--config", dir.File("edited.json", edited.ToJsonString()), "--out", dir.Combine("other"));
        Assert.True(other.ExitCode == 0, other.Errors);
        Assert.Equal("mlp 30-8-2 tanh", Report(dir.Combine("other")).GetProperty("model").GetString());
        Assert.NotEqual(first.GetProperty("weightsSha256").GetString(), Report(dir.Combine("other")).GetProperty("weightsSha256").GetString());
    }

    /// <summary>
    /// The README's promise for every report: a cluster run's options replayed on --cluster local train
    /// the same weights. What the file says only of how the cluster ran the job (workers, shards,
    /// checkpoints, step timeout, sync mode) does not stand in the way; an async mode, whose weights
    /// are not the reference's, does, and says where it came from.
    /// </summary>
    [Fact]
    public async Task A_cluster_runs_report_replayed_on_the_reference_trainer_trains_the_same_weights()
    {
        using var dir = new TempFolder();
        var cluster = await CliRunner.Run("train", "--hidden", "16", "--epochs", "2", "--cluster", "embedded:2", "--ps-shards", "2", "--checkpoint-every", "5",
            "--step-timeout", "20", "--out", dir.Combine("cluster"));
        Assert.True(cluster.ExitCode == 0, cluster.Errors);
        var options = Report(dir.Combine("cluster")).GetProperty("options");
        Assert.Equal((2, "sync", 2), (options.GetProperty("workers").GetInt32(), options.GetProperty("mode").GetString(), options.GetProperty("psShards").GetInt32()));

        var local = await CliRunner.Run("train", "--config", dir.Combine("cluster/report.json"), "--cluster", "local", "--out", dir.Combine("local"));
        Assert.True(local.ExitCode == 0, local.Errors);
        Assert.Equal("local", Report(dir.Combine("local")).GetProperty("cluster").GetString());
        Assert.Equal(Report(dir.Combine("cluster")).GetProperty("weightsSha256").GetString(), Report(dir.Combine("local")).GetProperty("weightsSha256").GetString());

        var async = dir.File("async.json", """{ "mode": "async", "epochs": 1 }""");
        var refused = await CliRunner.Run("train", "--config", async, "--cluster", "local", "--out", dir.Combine("async"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"error: --workers, --mode, --checkpoint-every and --step-timeout need a cluster: --cluster local is the single-process trainer (--mode from {async})",
            Assert.Single(refused.ErrorLines));
    }

    [Fact]
    public void Cluster_options_at_their_defaults_ask_nothing_of_the_reference_trainer()
    {
        var request = TrainArguments.Read(Cli.Read(["train", "--cluster", "local", "--mode", "sync", "--workers", "auto", "--checkpoint-every", "0", "--step-timeout", "10"], _ => null));
        Assert.True(request.Cluster.IsLocal);
        var error = Assert.Throws<Core.UserInputException>(() => TrainArguments.Read(Cli.Read(["train", "--cluster", "local", "--step-timeout", "5"], _ => null)));
        Assert.StartsWith("--workers, --mode, --checkpoint-every and --step-timeout need a cluster", error.Message);
    }

    [Fact]
    public void The_command_line_overrides_the_environment_which_overrides_the_config_file_which_overrides_the_defaults()
    {
        using var dir = new TempFolder();
        var config = dir.File("run.json", """{ "lr": 0.3, "epochs": 4, "batch": 16, "labelColumn": "y", "nesterov": true, "momentum": 0.8 }""");
        var environment = new Dictionary<string, string> { ["TRAINER_LR"] = "0.2", ["TRAINER_CONFIG"] = config, ["TRAINER_NESTEROV"] = "false" };

        var request = TrainArguments.Read(Cli.Read(["train", "--epochs", "2", "--momentum", "0.7"], name => environment.GetValueOrDefault(name)));

        Assert.Equal(0.2, request.Options.LearningRate); // the environment over the file
        Assert.Equal((2, 0.7), (request.Options.Epochs, request.Options.Momentum)); // the command line over both
        Assert.Equal((16, "y"), (request.Options.Batch, request.Data.LabelColumn)); // the file over the defaults
        Assert.False(request.Options.Nesterov); // a flag's variable set to false keeps the file's true off
        Assert.Equal(42UL, request.Options.Seed); // the default
    }

    [Theory]
    [InlineData("""{ "learningRate": 0.1 }""", "unknown key 'learningRate'; did you mean 'lr'? (keys are the options of 'trainer train' without their dashes; see 'trainer train --help')")]
    [InlineData("""{ "colour": "red" }""", "unknown key 'colour' (keys are the options of 'trainer train' without their dashes; see 'trainer train --help')")]
    [InlineData("""{ "labelColum": "y" }""", "unknown key 'labelColum'; did you mean 'labelColumn'? (keys are the options of 'trainer train' without their dashes; see 'trainer train --help')")]
    [InlineData("""{ "hidden": { "width": 8 } }""", "'hidden' (--hidden W[,W...]) takes a string, a number or a list of them")]
    [InlineData("""{ "nesterov": "yes" }""", "'nesterov' is the flag --nesterov: true or false")]
    [InlineData("""{ "label-column": "y", "labelColumn": "z" }""", "'label-column' and 'labelColumn' are both --label-column")]
    [InlineData("""{ "config": "other.json" }""", "a config file cannot name another ('config')")]
    [InlineData("""[ "--lr", "0.1" ]""", """expected a JSON object of options, such as {"lr": 0.1}""")]
    public async Task A_bad_config_file_is_one_line_naming_the_file_and_key(string json, string message)
    {
        using var dir = new TempFolder();
        var file = dir.File("run.json", json);
        var outcome = await CliRunner.Run("train", "--config", file, "--out", dir.Combine("out"));
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal($"error: {file}: {message}", Assert.Single(outcome.ErrorLines));
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    /// <summary>
    /// Every train option is in the report's options block under its camelCase name, or is one that a
    /// run's choices leave out when unused, or says where the run goes rather than what it trains.
    /// </summary>
    [Fact]
    public async Task A_reports_options_are_train_options_and_derived_keys_and_lack_only_what_a_run_did_not_use()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run("train", "--model", "logreg", "--data", "breast-cancer", "--epochs", "1", "--cluster", "embedded:1", "--out", dir.Path)).ExitCode);
        var keys = Report(dir.Path).GetProperty("options").EnumerateObject().Select(p => p.Name).ToHashSet();
        var options = TrainCommand.Options.Select(o => ConfigFile.CamelCase(o.Name)).ToHashSet();
        Assert.Subset(options.Union(ReportOptions.Derived).ToHashSet(), keys);

        string[] unusedHere = ["hidden", "activation", "dropout", "layers", "pool", "inputShape", "task", "test", "labelColumn", "delimiter", "missing", "ignoreColumns", "features", "trustCoefficient", "baseBatch", "batchMin", "batchMax", "batchStart", "batchCost", "batchSchedule", "patience", "target", "pastTarget", "staleness", "averageEvery"];
        string[] whereItRuns = ["config", "job", "out", "checkpointDir", "tlsCertificate", "tlsPassword", "tlsStoreSubject", "tlsCa", "telemetry", "otlpEndpoint", "metricsPort", "dashboard"];
        Assert.Equal(options.Order(), keys.Except(ReportOptions.Derived).Union(unusedHere).Union(whereItRuns).Order());
    }
}
