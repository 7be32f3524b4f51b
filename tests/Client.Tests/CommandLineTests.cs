using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Client.CommandLine;

namespace Trainer.Client.Tests;

/// <summary>The command line as System.CommandLine gives it: help, --version, response files, completion, suggestions, in our one-line errors.</summary>
public sealed class CommandLineTests
{
    private static readonly string[] Quick = ["--model", "logreg", "--data", "breast-cancer", "--epochs", "1", "--cluster", "local"];

    private static JsonElement Options(string folder) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "report.json"))).RootElement.GetProperty("options").Clone();

    [Fact]
    public async Task A_response_file_holds_arguments_with_comments_and_quotes_and_the_command_line_adds_to_it()
    {
        using var dir = new TempFolder();
        var file = dir.File("experiment.rsp", "# breast cancer, one epoch\n--model logreg --data breast-cancer\n--epochs 1\n--cluster \"local\"\n--lr 0.2\n");
        var outcome = await CliRunner.Run("train", $"@{file}", "--seed", "7", "--out", dir.Combine("run"));
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        var options = Options(dir.Combine("run"));
        Assert.Equal(("logreg", 1, 0.2, 7UL), (options.GetProperty("model").GetString(), options.GetProperty("epochs").GetInt32(),
            options.GetProperty("lr").GetDouble(), options.GetProperty("seed").GetUInt64()));

        var missing = await CliRunner.Run("train", $"@{dir.Combine("absent.rsp")}");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal($"error: response file not found '{dir.Combine("absent.rsp")}'", Assert.Single(missing.ErrorLines));
    }

    [Fact]
    public async Task Version_prints_the_products_version_from_its_assembly()
    {
        var outcome = await CliRunner.Run("--version");
        Assert.Equal(0, outcome.ExitCode);
        var version = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Equal(version, outcome.Output.Trim());
    }

    [Theory]
    [InlineData("train --epoch 5", "error: unknown option '--epoch' for 'trainer train'; did you mean '--epochs'? (see 'trainer train --help')")]
    [InlineData("train --hiden 32", "error: unknown option '--hiden' for 'trainer train'; did you mean '--hidden'? (see 'trainer train --help')")]
    [InlineData("train --learning-rate=0.1", "error: unknown option '--learning-rate' for 'trainer train'; did you mean '--lr'? (see 'trainer train --help')")]
    [InlineData("evaluate --model-fle m.json", "error: unknown option '--model-fle' for 'trainer evaluate'; did you mean '--model-file'? (see 'trainer evaluate --help')")]
    [InlineData("trian", "error: unknown command 'trian'; commands: train, resume, status, cancel, evaluate, predict, export, scale, dashboard, bench; did you mean 'train'? (see 'trainer --help')")]
    [InlineData("bench kernal", "error: unknown command 'kernal' for 'trainer bench'; commands: kernel, transport, train, peers; did you mean 'kernel'? (see 'trainer bench --help')")]
    [InlineData("train --nesterov=true", "error: option --nesterov is a flag and takes no value ('true')")]
    [InlineData("train --lr 0.1 --lr 0.2", "error: option --lr is given twice")]
    [InlineData("bench", "error: 'trainer bench' needs a command: kernel, transport, train, peers (see 'trainer bench --help')")]
    public async Task A_mistake_is_one_line_with_the_librarys_suggestion_and_exit_2(string command, string line)
    {
        var outcome = await CliRunner.Run(command.Split(' '));
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal(line, Assert.Single(outcome.ErrorLines));
        Assert.Equal("", outcome.Output);
    }

    [Fact]
    public async Task Every_commands_help_lists_each_option_with_its_description_and_default()
    {
        foreach (var (path, spec) in AllCommands(Cli.Commands, []))
        {
            var outcome = await CliRunner.Run([.. path, "--help"]);
            Assert.Equal(0, outcome.ExitCode);
            var help = Regex.Replace(outcome.Output, @"\s+", " ");
            var argument = spec.Argument is { } a ? $" [<{a.Name}>]" : "";
            Assert.Contains($"{string.Join(' ', path)}{argument}{(spec.Commands.Count > 0 ? " [command]" : "")} [options]", help); // after the executable's name
            if (spec.Argument is { } positional) Assert.Contains(Regex.Replace(positional.Help, @"\s+", " "), help);
            foreach (var option in spec.Options)
            {
                Assert.Contains(option.IsFlag ? option.Name : $"{option.Name} <{option.Value}>", help);
                Assert.Contains(Regex.Replace(option.Help, @"\s+", " "), help);
                Assert.True(option.IsFlag || option.Help.Contains("default") || option.Help.Contains("(required)"), $"{string.Join(' ', path)} {option.Name}: no default in its help");
            }
        }
    }

    [Fact]
    public async Task Train_help_lists_every_option_exactly_once_under_the_heading_of_its_group()
    {
        var outcome = await CliRunner.Run("train", "--help");
        Assert.Equal(0, outcome.ExitCode);
        var headings = new List<string>();
        var rows = new List<(string Heading, string Option)>();
        foreach (var line in outcome.Output.Split('\n').Select(l => l.TrimEnd('\r')))
            if (Regex.Match(line, @"^(\S.*):$") is { Success: true } heading) headings.Add(heading.Groups[1].Value);
            else if (Regex.Match(line, @"^  (-\S+)") is { Success: true } row) rows.Add((headings[^1], row.Groups[1].Value.TrimEnd(',')));

        Assert.Equal(["Description", "Usage", "Model", "Data", "Optimisation", "Early stopping and targets", "Cluster", "Compute",
            "Checkpoints and recovery", "Mutual TLS (silo processes)", "Telemetry and monitoring", "Config and output", "Help"], headings);
        var options = Trainer.Client.Commands.Train.TrainCommand.Options;
        Assert.All(options, o => Assert.NotNull(o.Group));
        Assert.Equal(options.Select(o => (o.Group!.Heading, o.Name)).Order(), rows.Where(r => r.Heading != "Help").Order());
        Assert.Equal(options.Count, options.Select(o => o.Name).Distinct().Count()); // so each name is listed once
        Assert.Equal(("Help", "-?"), Assert.Single(rows, r => r.Heading == "Help"));
    }

    [Fact]
    public async Task The_top_level_help_names_every_model_family()
    {
        var outcome = await CliRunner.Run("--help");
        Assert.Equal(0, outcome.ExitCode);
        var description = outcome.Output[..outcome.Output.IndexOf("Usage:", StringComparison.Ordinal)];
        Assert.Equal(8, Trainer.Core.Models.ModelSpec.Kinds.Count);
        Assert.All(Trainer.Core.Models.ModelSpec.Kinds, kind => Assert.Matches($@"(^|[\s(]){Regex.Escape(kind)}\b", description));
    }

    [Fact]
    public void The_shared_telemetry_option_completes_the_kinds_telemetry_has()
    {
        var telemetry = Trainer.CommandLine.SharedOptions.Telemetry.Single(o => o.Name == "--telemetry");
        Assert.Equal(Trainer.Grains.Hosting.TelemetrySetup.Kinds, telemetry.Choices);
    }

    [Theory]
    [InlineData("trainer train --mod", "--model")]
    [InlineData("trainer train --model so", "softmax")]
    [InlineData("trainer tr", "train")]
    [InlineData("trainer train --kernel ", "openblas")]
    public async Task The_suggest_directive_completes_commands_options_and_choices_for_dotnet_suggest(string line, string completion)
    {
        var outcome = await CliRunner.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains(completion, outcome.Output.Split('\n', StringSplitOptions.TrimEntries));
    }

    private static IEnumerable<(string[] Path, CommandSpec Spec)> AllCommands(IReadOnlyList<CommandSpec> commands, string[] parent) =>
        commands.SelectMany(c => AllCommands(c.Commands, [.. parent, c.Name]).Prepend(([.. parent, c.Name], c)));
}
