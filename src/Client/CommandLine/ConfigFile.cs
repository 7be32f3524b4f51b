using System.Text;
using System.Text.Json;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core;

namespace Trainer.Client.CommandLine;

/// <summary>
/// --config FILE: a command's options as a JSON object. A key is an option's name without its dashes,
/// as written or in camelCase (label-column or labelColumn); a value is what the command line would
/// take: a string or a number, true or false for a flag (false: not given), a list as an array or a
/// comma string ([256, 128] or "256,128"), null for not given. A report.json is a config too: its
/// options block is read, and its derived keys (<see cref="ReportOptions.Derived"/>) are ignored.
/// </summary>
public static class ConfigFile
{
    public const string Option = "--config";

    /// <summary>The file's options, by option name; each remembers the file as its origin.</summary>
    public static Dictionary<string, OptionValue> Read(string path, string command, IReadOnlyList<OptionInfo> options)
    {
        var byKey = options.Where(o => o.Name != Option).ToDictionary(o => Normal(o.Name), o => o);
        var values = new Dictionary<string, OptionValue>();
        var seen = new Dictionary<string, string>();
        using var document = Parse(path);
        var root = document.RootElement;
        var block = root.TryGetProperty("options", out var report) && report.ValueKind == JsonValueKind.Object ? report : root;
        foreach (var property in block.EnumerateObject())
        {
            if (ReportOptions.Derived.Contains(property.Name)) continue;
            var key = Normal(property.Name);
            if (key == Normal(Option)) throw new UserInputException($"{path}: a config file cannot name another ('{property.Name}')");
            if (!byKey.TryGetValue(key, out var option))
                throw new UserInputException(Unknown(path, property.Name, command, byKey.Values));
            if (!seen.TryAdd(key, property.Name))
                throw new UserInputException($"{path}: '{seen[key]}' and '{property.Name}' are both {option.Name}");
            if (Text(path, property, option) is var (given, text) && given) values[option.Name] = new OptionValue(text, path, InConfigFile: true);
        }
        return values;
    }

    private static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{Option} {path}: no such file");
        try
        {
            var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            throw new UserInputException($"{path}: expected a JSON object of options, such as {{\"lr\": 0.1}}");
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{path}: not a JSON object of options (bad JSON at line {e.LineNumber + 1})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{Option} {path}: cannot read it ({e.Message})");
        }
    }

    /// <summary>Whether the key gives its option, and the option's text (null for a flag).</summary>
    private static (bool Given, string? Text) Text(string path, JsonProperty property, OptionInfo option)
    {
        var value = property.Value;
        if (value.ValueKind == JsonValueKind.Null) return (false, null);
        if (option.IsFlag)
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? (value.GetBoolean(), null)
                : throw new UserInputException($"{path}: '{property.Name}' is the flag {option.Name}: true or false");
        return value.ValueKind switch
        {
            JsonValueKind.String or JsonValueKind.Number => (true, Scalar(value)),
            JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
                (true, string.Join(',', value.EnumerateArray().Select(Scalar))),
            _ => throw new UserInputException($"{path}: '{property.Name}' ({option.Name} {option.Value}) takes a string, a number or a list of them"),
        };
    }

    /// <summary>A number as written (0.1 stays 0.1: the command line's text, not a double printed again).</summary>
    private static string Scalar(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static string Unknown(string path, string key, string command, IEnumerable<OptionInfo> options)
    {
        var names = options.Select(o => o.Name).ToArray();
        var suggestions = TypoSuggestions.Among("--" + Dashed(key), names).Select(name => key.Any(char.IsUpper) ? CamelCase(name) : name[2..]).ToList();
        return $"{path}: unknown key '{key}'{TypoSuggestions.Phrase(suggestions)} (keys are the options of 'trainer {command}' without their dashes; see 'trainer {command} --help')";
    }

    /// <summary>A key or option as compared: without dashes and underscores, in lower case (--label-column, labelColumn: labelcolumn).</summary>
    private static string Normal(string name) => name.TrimStart('-').Replace("-", "").Replace("_", "").ToLowerInvariant();

    /// <summary>labelColumn or label_column as label-column.</summary>
    private static string Dashed(string key)
    {
        var dashed = new StringBuilder();
        foreach (var c in key.Replace('_', '-'))
            dashed.Append(char.IsUpper(c) && dashed.Length > 0 ? $"-{char.ToLowerInvariant(c)}" : char.ToLowerInvariant(c).ToString());
        return dashed.ToString();
    }

    /// <summary>--label-column as labelColumn, the report's spelling.</summary>
    public static string CamelCase(string option)
    {
        var words = option.TrimStart('-').Split('-');
        return words[0] + string.Concat(words[1..].Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
    }
}
