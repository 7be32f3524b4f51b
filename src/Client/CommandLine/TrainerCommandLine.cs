using System.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains.Hosting;

namespace Trainer.Client.CommandLine;

/// <summary>
/// trainer's commands as System.CommandLine's tree. Parsing, per-command help, --version, response
/// files (trainer train @experiment.rsp) and the [suggest] directive of dotnet-suggest are the
/// library's; its errors become our one line (<see cref="CommandLineErrors"/>), and each command's
/// values are read from their sources (<see cref="OptionSources"/>) before its handler runs.
/// </summary>
public sealed class TrainerCommandLine
{
    public const string Program = "trainer";

    private readonly RootCommand _root;
    private readonly Dictionary<Command, (CommandSpec Spec, string Path)> _commands = [];
    private readonly Func<string, string?> _environment;

    public TrainerCommandLine(string description, IReadOnlyList<CommandSpec> commands, Func<string, string?> environment)
    {
        _environment = environment;
        _root = new RootCommand(description);
        VersionAction.Install(_root, typeof(TrainerCommandLine).Assembly);
        var declared = new Dictionary<Command, IReadOnlyList<OptionInfo>>();
        foreach (var spec in commands) _root.Subcommands.Add(Build(spec, spec.Name, declared));
        GroupedHelpAction.Install(_root, declared);
    }

    /// <summary>A command line, parsed; its first mistake is a one-line user error.</summary>
    public ParseResult Parse(IReadOnlyList<string> args)
    {
        var result = _root.Parse(args);
        return CommandLineErrors.Describe(result, Program) is { } mistake ? throw new UserInputException(mistake) : result;
    }

    /// <summary>The options of the command a parsed command line runs, from every source; null for help, --version and [suggest].</summary>
    public ParsedArguments? Read(ParseResult result)
    {
        if (!_commands.TryGetValue(result.CommandResult.Command, out var command) || result.Action != result.CommandResult.Command.Action) return null;
        var args = OptionSources.Read(command.Path, command.Spec.Options, result, _environment);
        // the positional argument comes from the command line only: it is not an option, so no variable or file gives it
        return command.Spec.Argument is { } argument && result.GetValue<string>(argument.Name) is { } value ? args.WithDefault(argument.Name, value) : args;
    }

    private Command Build(CommandSpec spec, string path, Dictionary<Command, IReadOnlyList<OptionInfo>> declared)
    {
        var command = new Command(spec.Name, spec.Description);
        declared[command] = spec.Options;
        foreach (var option in spec.Options) command.Options.Add(OptionSymbols.Create(option));
        if (spec.Argument is { } argument) command.Arguments.Add(new Argument<string>(argument.Name) { Description = argument.Help, Arity = ArgumentArity.ZeroOrOne });
        foreach (var child in spec.Commands) command.Subcommands.Add(Build(child, $"{path} {child.Name}", declared));
        if (spec.Run is { } run)
        {
            _commands[command] = (spec, path);
            command.SetAction((result, cancellation) => RunExplained(run, Read(result)!, result.InvocationConfiguration.Output, cancellation));
        }
        return command;
    }

    /// <summary>Runs a handler; a user error names where the options it mentions got their values.</summary>
    private static async Task<int> RunExplained(CommandSpec.Handler run, ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        try
        {
            return await run(args, output, cancellation);
        }
        catch (UserInputException e) when (args.Explain(e.Message) != e.Message)
        {
            throw new UserInputException(args.Explain(e.Message));
        }
        catch (JobFaultException e) when (e.Kind == JobFaultException.UserError && args.Explain(e.Message) != e.Message)
        {
            throw new JobFaultException(e.Kind, args.Explain(e.Message)); // a worker's finding about an option
        }
    }
}
