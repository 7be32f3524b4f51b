using System.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;

namespace Trainer.Client.CommandLine;

/// <summary>
/// Where a command's option values come from, first source first: the command line (response files
/// included), then TRAINER_&lt;OPTION&gt; environment variables (--lr: TRAINER_LR, --label-column:
/// TRAINER_LABEL_COLUMN). An empty variable counts as unset; a flag's variable is true or false.
/// </summary>
public static class OptionSources
{
    /// <summary>The options of <paramref name="command"/> (its path, such as "bench kernel"), each from its first source.</summary>
    public static ParsedArguments Read(string command, IReadOnlyList<OptionInfo> options, ParseResult result, Func<string, string?> environment)
    {
        var commandLine = OptionSymbols.Given(result, options);
        var values = new Dictionary<string, OptionValue>();
        foreach (var option in options)
        {
            if (commandLine.TryGetValue(option.Name, out var text)) values[option.Name] = new OptionValue(text);
            else if (FromEnvironment(option, environment) is { } value) values[option.Name] = value;
        }
        return new ParsedArguments(command, values);
    }

    private static OptionValue? FromEnvironment(OptionInfo option, Func<string, string?> environment)
    {
        var variable = OptionEnvironment.Variable(option.Name);
        if (environment(variable) is not { Length: > 0 } text) return null;
        if (!option.IsFlag) return new OptionValue(text, variable);
        return Flag(text) ? new OptionValue(null, variable) : null;

        bool Flag(string value) => value.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw new UserInputException($"{variable} '{value}': {option.Name} is a flag, expected true or false"),
        };
    }
}
