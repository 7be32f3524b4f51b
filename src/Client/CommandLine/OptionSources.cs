using System.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;

namespace Trainer.Client.CommandLine;

/// <summary>
/// Where a command's option values come from, first source first: the command line (response files
/// included), then TRAINER_&lt;OPTION&gt; environment variables (--lr: TRAINER_LR, --label-column:
/// TRAINER_LABEL_COLUMN), then the --config file of a command that takes one, then the defaults.
/// An empty variable counts as unset; a flag's variable is true or false.
/// </summary>
public static class OptionSources
{
    /// <summary>The options of <paramref name="command"/> (its path, such as "bench kernel"), each from its first source.</summary>
    public static ParsedArguments Read(string command, IReadOnlyList<OptionInfo> options, ParseResult result, Func<string, string?> environment)
    {
        var commandLine = OptionSymbols.Given(result, options);
        var values = new Dictionary<string, OptionValue>();
        var decided = new HashSet<string>(); // also by a flag's variable set to false, which a config file must not turn on
        foreach (var option in options)
        {
            if (commandLine.TryGetValue(option.Name, out var text))
            {
                values[option.Name] = new OptionValue(text);
            }
            else
            {
                var (set, value) = FromEnvironment(option, environment);
                if (!set) continue;
                if (value is not null) values[option.Name] = value;
            }
            decided.Add(option.Name);
        }
        if (values.GetValueOrDefault(ConfigFile.Option)?.Text is { } config)
            foreach (var (name, value) in ConfigFile.Read(config, command, options))
                if (decided.Add(name)) values[name] = value;
        return new ParsedArguments(command, values);
    }

    /// <summary>Whether the option's variable is set, and its value (null for a flag set to false).</summary>
    private static (bool Set, OptionValue? Value) FromEnvironment(OptionInfo option, Func<string, string?> environment)
    {
        var variable = OptionEnvironment.Variable(option.Name);
        if (environment(variable) is not { Length: > 0 } text) return (false, null);
        if (!option.IsFlag) return (true, new OptionValue(text, variable));
        return (true, Flag(text) ? new OptionValue(null, variable) : null);

        bool Flag(string value) => value.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw new UserInputException($"{variable} '{value}': {option.Name} is a flag, expected true or false"),
        };
    }
}
