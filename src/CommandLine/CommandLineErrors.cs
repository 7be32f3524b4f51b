using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Trainer.CommandLine;

/// <summary>
/// A parse's first mistake as the one line our programs print (System.CommandLine prints every error,
/// its suggestions and the help instead). <c>program</c> is the name users type, such as
/// "trainer", whatever the running executable is called.
/// </summary>
public static class CommandLineErrors
{
    /// <summary>The mistake, or null when the command line is fine.</summary>
    public static string? Describe(ParseResult result, string program)
    {
        if (result.Action is { ClearsParseErrors: true }) return null; // help, --version and [suggest] run whatever else the line holds
        var command = result.CommandResult.Command;
        var path = string.Join(' ', [program, .. CommandNames(result.CommandResult)]);
        foreach (var option in result.CommandResult.Children.OfType<OptionResult>().Where(o => !o.Implicit && o.Option.Arity.MaximumNumberOfValues > 0))
        {
            // the library takes the next token as the value even when it is the next option
            if (option.Tokens.Count == 0 || option.Tokens.Any(t => t.Value is ['-', '-', _, ..]))
                return $"option {option.Option.Name} needs a value ({option.Option.HelpName})";
            if (option.Tokens.Count > 1 && option.Option.Arity.MaximumNumberOfValues == 1) return $"option {option.Option.Name} is given twice"; // a repeatable option takes many
        }
        if (result.UnmatchedTokens.Count > 0) return Unmatched(result, result.UnmatchedTokens[0], path);
        if (result.Action is not ParseErrorAction || result.Errors.Count == 0) return null;
        var error = result.Errors.FirstOrDefault(e => e.SymbolResult is null) ?? result.Errors[0]; // the tokenizer's (a response file) first
        if (error.SymbolResult is CommandResult && command.Subcommands.Count > 0)
            return $"'{path}' needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (see '{path} --help')";
        return Sentence(error.Message);
    }

    private static string Unmatched(ParseResult result, string token, string path)
    {
        var command = result.CommandResult.Command;
        if (token.StartsWith('-'))
        {
            var name = token.Split('=', ':')[0];
            return $"unknown option '{name}' for '{path}'{TypoSuggestions.Phrase(TypoSuggestions.Among(name, OptionNames(command)))} (see '{path} --help')";
        }
        if (command.Subcommands.Count > 0)
        {
            var names = command.Subcommands.Select(c => c.Name).ToArray();
            var where = result.CommandResult.Parent is null ? "" : $" for '{path}'";
            return $"unknown command '{token}'{where}; commands: {string.Join(", ", names)}{TypoSuggestions.Phrase(TypoSuggestions.Among(token, names))} (see '{path} --help')";
        }
        if (FlagBefore(result, token) is { } flag) return $"option {flag} is a flag and takes no value ('{token}')";
        return $"unexpected argument '{token}' for '{path}' (options start with --; see '{path} --help')";
    }

    /// <summary>The flag whose value a stray token looks like (--nesterov true, --nesterov=true).</summary>
    private static string? FlagBefore(ParseResult result, string token)
    {
        var tokens = result.Tokens;
        for (var i = 1; i < tokens.Count; i++)
            if (tokens[i].Value == token && tokens[i - 1].Type == TokenType.Option && result.CommandResult.Command.Options
                    .FirstOrDefault(o => o.Name == tokens[i - 1].Value || o.Aliases.Contains(tokens[i - 1].Value)) is { Arity.MaximumNumberOfValues: 0 } flag)
                return flag.Name;
        return null;
    }

    private static string[] OptionNames(Command command) =>
        command.Options.Where(o => !o.Hidden).Select(o => o.Name).Where(n => n.StartsWith("--")).ToArray();

    private static IEnumerable<string> CommandNames(CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r.Parent is CommandResult parent; r = parent) names.Push(r.Command.Name);
        return names;
    }

    /// <summary>The library's own wording, as a clause of our line: "Response file not found 'x'." becomes "response file not found 'x'".</summary>
    private static string Sentence(string message) =>
        message.Length == 0 ? message : char.ToLowerInvariant(message[0]) + message[1..].TrimEnd('.');
}
