using Trainer.CommandLine;

namespace Trainer.Client.CommandLine;

/// <summary>A command of trainer: its name, what it does, its options and what runs it, or its own commands (bench).</summary>
public sealed record CommandSpec(string Name, string Description, IReadOnlyList<OptionInfo> Options, CommandSpec.Handler? Run)
{
    public delegate Task<int> Handler(ParsedArguments args, TextWriter output, CancellationToken cancellation);

    public IReadOnlyList<CommandSpec> Commands { get; init; } = [];

    /// <summary>An optional positional argument (dashboard's FOLDER); its value is read as <c>args.String(Argument.Name)</c>.</summary>
    public ArgumentInfo? Argument { get; init; }

    /// <summary>A command that runs synchronously.</summary>
    public static Handler Sync(Func<ParsedArguments, TextWriter, CancellationToken, int> run) =>
        (args, output, cancellation) => Task.FromResult(run(args, output, cancellation));
}

/// <summary>A command's one optional positional argument: its name in help (FOLDER) and what it means.</summary>
public sealed record ArgumentInfo(string Name, string Help);
