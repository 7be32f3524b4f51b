using System.CommandLine;
using Trainer.CommandLine;

namespace Trainer.Client.CommandLine;

/// <summary>Where a command's option values come from: the command line (response files included).</summary>
public static class OptionSources
{
    /// <summary>The options of <paramref name="command"/> (its path, such as "bench kernel"), each from its first source.</summary>
    public static ParsedArguments Read(string command, IReadOnlyList<OptionInfo> options, ParseResult result, Func<string, string?> environment)
    {
        var values = OptionSymbols.Given(result, options).ToDictionary(v => v.Key, v => new OptionValue(v.Value));
        return new ParsedArguments(command, values);
    }
}
