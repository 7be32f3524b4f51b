using System.Globalization;
using System.Text.RegularExpressions;
using Trainer.Core;

namespace Trainer.Client.CommandLine;

/// <summary>An option's text (null for a flag) and where it came from: null for the command line, else the variable or file (<paramref name="InConfigFile"/>: a --config file).</summary>
public sealed record OptionValue(string? Text, string? Origin = null, bool InConfigFile = false);

/// <summary>
/// The options of one command, read strictly: a value of the wrong type or out of range is a user
/// error that names the option. The values come from the command line, the environment or a config
/// file (<see cref="OptionSources"/>); each remembers where, so that an error can say so.
/// </summary>
public sealed partial class ParsedArguments
{
    private readonly Dictionary<string, OptionValue> _values;
    private readonly string _command;

    public ParsedArguments(string command, IReadOnlyDictionary<string, OptionValue> values)
    {
        _command = command;
        _values = new Dictionary<string, OptionValue>(values);
    }

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>Whether the option's value came from a --config file (a report replayed, say), not the command line or the environment.</summary>
    public bool FromConfigFile(string name) => _values.GetValueOrDefault(name)?.InConfigFile == true;

    /// <summary>These arguments without the named options.</summary>
    public ParsedArguments Without(IEnumerable<string> names) =>
        new(_command, _values.Keys.Except(names).ToDictionary(n => n, n => _values[n]));

    /// <summary>These arguments with only the named options (another command's share of them).</summary>
    public ParsedArguments Only(IEnumerable<string> names) =>
        new(_command, names.Where(_values.ContainsKey).ToDictionary(n => n, n => _values[n]));

    /// <summary>These arguments with an option's value set where it was not given.</summary>
    public ParsedArguments WithDefault(string name, string value) =>
        Has(name) ? this : new(_command, new Dictionary<string, OptionValue>(_values) { [name] = new(value) });

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.GetValueOrDefault(name)?.Text;

    public string String(string name, string fallback) => String(name) ?? fallback;

    public string Required(string name) =>
        String(name) ?? throw new UserInputException($"'trainer {_command}' needs {name}");

    /// <summary>
    /// A message with where the options it names got their values, when that was not the command
    /// line: "--lr 0: must be greater than 0 (--lr from TRAINER_LR)".
    /// </summary>
    public string Explain(string message)
    {
        var origins = OptionName().Matches(message).Select(m => m.Value).Distinct()
            .Where(name => _values.GetValueOrDefault(name)?.Origin is not null)
            .Select(name => $"{name} from {_values[name].Origin}").ToList();
        return origins.Count == 0 ? message : $"{message} ({string.Join(", ", origins)})";
    }

    [GeneratedRegex("--[a-z][a-z0-9-]*")]
    private static partial Regex OptionName();

    public string Choice(string name, string fallback, IReadOnlyList<string> choices)
    {
        var value = String(name, fallback);
        if (!choices.Contains(value)) throw new UserInputException($"{name} '{value}' is not one of {string.Join(", ", choices)}");
        return value;
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (String(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UserInputException($"{name} '{text}' is not a whole number");
        if (value < min) throw new UserInputException($"{name} {value}: must be at least {min}");
        if (value > max) throw new UserInputException($"{name} {value}: must be at most {max}");
        return value;
    }

    public ulong ULong(string name, ulong fallback)
    {
        if (String(name) is not { } text) return fallback;
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UserInputException($"{name} '{text}' is not a non-negative whole number");
        return value;
    }

    /// <summary>A finite number; <paramref name="positive"/> demands &gt; min, otherwise ≥ min.</summary>
    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue, bool positive = false)
    {
        if (String(name) is not { } text) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new UserInputException($"{name} '{text}' is not a number");
        if (positive ? value <= min : value < min)
            throw new UserInputException($"{name} {text}: must be {(positive ? "greater than" : "at least")} {min.ToString(CultureInfo.InvariantCulture)}");
        if (value > max) throw new UserInputException($"{name} {text}: must be at most {max.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>A comma-separated list of positive integers, e.g. --hidden 256,128.</summary>
    public int[] IntList(string name, int[] fallback)
    {
        if (String(name) is not { } text) return fallback;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
                throw new UserInputException($"{name} '{text}': expected positive whole numbers separated by commas");
        return result;
    }
}
