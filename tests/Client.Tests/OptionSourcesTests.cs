using Trainer.Client.Commands.Train;

namespace Trainer.Client.Tests;

/// <summary>Options from TRAINER_&lt;OPTION&gt; environment variables, under the command line, and errors that say where a value came from.</summary>
public sealed class OptionSourcesTests
{
    private static TrainRequest Request(Dictionary<string, string> environment, params string[] args) =>
        TrainArguments.Read(Cli.Read(["train", .. args], name => environment.GetValueOrDefault(name)));

    [Fact]
    public void Every_option_has_its_variable_and_the_command_line_overrides_it()
    {
        var environment = new Dictionary<string, string>
        {
            ["TRAINER_EPOCHS"] = "3", ["TRAINER_LR"] = "0.2", ["TRAINER_HIDDEN"] = "16,8", ["TRAINER_LABEL_COLUMN"] = "y",
            ["TRAINER_NESTEROV"] = "true", ["TRAINER_CLUSTER"] = "local", ["TRAINER_SEED"] = "",
        };
        var fromEnvironment = Request(environment);
        Assert.Equal((3, 0.2, "y", true, "local", 42UL), (fromEnvironment.Options.Epochs, fromEnvironment.Options.LearningRate,
            fromEnvironment.Data.LabelColumn, fromEnvironment.Options.Nesterov, fromEnvironment.Cluster.ToString(), fromEnvironment.Options.Seed));
        Assert.Equal([16, 8], fromEnvironment.Options.Hidden);

        var overridden = Request(environment, "--epochs", "1", "--cluster", "embedded:1");
        Assert.Equal((1, 0.2, "embedded:1"), (overridden.Options.Epochs, overridden.Options.LearningRate, overridden.Cluster.ToString()));
        Assert.False(Request(new() { ["TRAINER_NESTEROV"] = "false" }).Options.Nesterov);
    }

    [Theory]
    [InlineData("TRAINER_LR", "0", "error: --lr 0: must be greater than 0 (--lr from TRAINER_LR)")]
    [InlineData("TRAINER_WORKERS", "9", "error: --workers 9: must be at most 8 (--workers from TRAINER_WORKERS)")]
    [InlineData("TRAINER_NESTEROV", "maybe", "error: TRAINER_NESTEROV 'maybe': --nesterov is a flag, expected true or false")]
    public async Task A_bad_value_from_the_environment_is_one_line_naming_the_option_and_its_variable(string variable, string value, string line)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run(new Dictionary<string, string> { [variable] = value }, "train", "--out", dir.Combine("out"));
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal(line, Assert.Single(outcome.ErrorLines));
        Assert.False(Directory.Exists(dir.Combine("out")));
    }
}
