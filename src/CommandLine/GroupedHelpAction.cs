using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Trainer.CommandLine;

/// <summary>
/// --help for a command whose options each declare a group: the library's description and usage,
/// then the options under one heading per group, in the order the groups first appear, and --help
/// itself last. The library's help builder is not public, so this writes the same two-column layout;
/// other commands keep the library's help.
/// </summary>
public sealed class GroupedHelpAction(HelpAction library, IReadOnlyDictionary<Command, IReadOnlyList<OptionInfo>> declared) : SynchronousCommandLineAction
{
    public const string HelpHeading = "Help";

    public override bool ClearsParseErrors => true;

    /// <summary>Makes a root command's --help (which every command inherits) group the options of the commands <paramref name="declared"/> names.</summary>
    public static void Install(RootCommand root, IReadOnlyDictionary<Command, IReadOnlyList<OptionInfo>> declared)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new GroupedHelpAction((HelpAction)help.Action!, declared);
    }

    public override int Invoke(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        if (!declared.TryGetValue(command, out var options) || options.Count == 0 || options.Any(o => o.Group is null))
            return library.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        Write(command, options, HelpRow(parseResult.RootCommandResult.Command), output, Width(output));
        return 0;
    }

    private static void Write(Command command, IReadOnlyList<OptionInfo> options, (string Label, string Text) help, TextWriter output, int width)
    {
        output.WriteLine("Description:");
        output.WriteLine($"  {command.Description}");
        output.WriteLine();
        output.WriteLine("Usage:");
        output.WriteLine($"  {string.Join(' ', Path(command))}{(command.Subcommands.Count > 0 ? " [command]" : "")} [options]");

        var groups = options.GroupBy(o => o.Group!).Select(g => (g.Key.Heading, Rows: g.Select(o => (Label(o), o.Help)).ToList())).ToList();
        groups.Add((HelpHeading, [help]));
        var column = groups.SelectMany(g => g.Rows).Max(r => r.Item1.Length) + 4;
        foreach (var (heading, rows) in groups)
        {
            output.WriteLine();
            output.WriteLine($"{heading}:");
            foreach (var (label, text) in rows)
            {
                var lines = Wrap(text, width - column);
                output.WriteLine($"  {label.PadRight(column - 2)}{lines[0]}");
                foreach (var line in lines.Skip(1)) output.WriteLine($"{new string(' ', column)}{line}");
            }
        }
        output.WriteLine();
    }

    /// <summary>A terminal's width, as the library wraps to; no wrapping into a pipe or a file.</summary>
    private static int Width(TextWriter output)
    {
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected) return int.MaxValue;
        try { return Math.Max(40, Console.WindowWidth); }
        catch (IOException) { return int.MaxValue; }
    }

    private static string Label(OptionInfo option) => option.IsFlag ? option.Name : $"{option.Name} <{option.Value}>";

    /// <summary>--help's own row, as the library words it ("-?, -h, --help").</summary>
    private static (string, string) HelpRow(Command root)
    {
        var option = root.Options.OfType<HelpOption>().Single();
        return (string.Join(", ", [.. option.Aliases.Where(a => a.StartsWith('-')).Order(StringComparer.Ordinal), option.Name]), option.Description ?? "");
    }

    private static IEnumerable<string> Path(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? symbol = command; symbol is Command c; symbol = c.Parents.FirstOrDefault()) names.Push(c.Name);
        return names;
    }

    /// <summary>Words into lines of at most <paramref name="width"/> characters (a longer word stands alone).</summary>
    private static List<string> Wrap(string text, int width)
    {
        if (text.Length <= width) return [text];
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { lines.Add(line); line = ""; }
            line = line.Length == 0 ? word : $"{line} {word}";
        }
        lines.Add(line);
        return lines;
    }
}
