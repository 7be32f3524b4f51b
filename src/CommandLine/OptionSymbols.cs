using System.CommandLine;
using System.CommandLine.Parsing;

namespace Trainer.CommandLine;

/// <summary>
/// Our option declarations as System.CommandLine options, and the text a parse gave them. The library
/// tokenizes, expands response files, writes help and completes; every value stays text here, read
/// and checked by the program, so a bad value's message names its option the same way whether it
/// came from the command line, the environment or a file.
/// </summary>
public static class OptionSymbols
{
    public static Option Create(OptionInfo info)
    {
        Option option = info.IsFlag
            ? new Option<bool>(info.Name) { Arity = ArgumentArity.Zero }
            : info.Repeatable
                ? new Option<string[]>(info.Name) { HelpName = info.Value, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false }
                : new Option<string>(info.Name) { HelpName = info.Value };
        option.Description = info.Help;
        if (info.Choices.Count > 0) option.CompletionSources.Add([.. info.Choices]);
        return option;
    }

    /// <summary>The declared options a command line gave, by name: their text, or null for a flag.</summary>
    public static Dictionary<string, string?> Given(ParseResult result, IEnumerable<OptionInfo> declared)
    {
        var names = declared.Select(o => o.Name).ToHashSet();
        var given = new Dictionary<string, string?>();
        foreach (var option in result.CommandResult.Children.OfType<OptionResult>())
            if (!option.Implicit && names.Contains(option.Option.Name))
                given[option.Option.Name] = option.Tokens.Count == 0 ? null : string.Join(Path.PathSeparator, option.Tokens.Select(t => t.Value));
        return given;
    }
}
