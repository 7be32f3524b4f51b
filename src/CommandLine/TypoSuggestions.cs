using System.CommandLine;
using System.CommandLine.Invocation;

namespace Trainer.CommandLine;

/// <summary>
/// "Did you mean …?" for a mistyped option or command. The corrections are System.CommandLine's own
/// (ParseErrorAction's, edit distance up to 3), which it prints as lines of their own; they are
/// captured here to go into our one-line error. When it has none, an option whose name is the
/// initials of the mistyped one's words is offered (--learning-rate: --lr).
/// </summary>
public static class TypoSuggestions
{
    public static IReadOnlyList<string> Among(string token, IReadOnlyCollection<string> names)
    {
        var probe = new RootCommand();
        foreach (var name in names)
            if (name.StartsWith('-')) probe.Options.Add(new Option<string>(name));
            else probe.Subcommands.Add(new Command(name));
        var result = probe.Parse([token]);
        if (result.Action is not ParseErrorAction action) return [];
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var printed = new StringWriter();
        result.Invoke(new InvocationConfiguration { Output = printed, Error = TextWriter.Null, EnableDefaultExceptionHandler = false });
        var corrections = printed.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Skip(1) // the library's heading, "'token' was not matched…"
            .Where(names.Contains)
            .ToList();
        if (corrections.Count == 0 && Initials(token) is { } initials && names.Contains(initials)) corrections.Add(initials);
        return corrections;
    }

    /// <summary>The suggestions as the end of a sentence: "; did you mean '--epochs'?", or nothing.</summary>
    public static string Phrase(IReadOnlyList<string> suggestions) =>
        suggestions.Count == 0 ? "" : $"; did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?";

    private static string? Initials(string token)
    {
        if (!token.StartsWith("--")) return null;
        var words = token[2..].Split('-', StringSplitOptions.RemoveEmptyEntries);
        return words.Length < 2 ? null : "--" + string.Concat(words.Select(w => w[0]));
    }
}
