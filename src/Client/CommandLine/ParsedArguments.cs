using System.Globalization;
using Trainer.Core;

namespace Trainer.Client.CommandLine;

/// <summary>One option a command accepts: a flag, or an option with a value, and what it means.</summary>
public sealed record OptionInfo(string Name, string Help, string? Value = null)
{
    public bool IsFlag => Value is null;
}

/// <summary>
/// The options of one command, parsed strictly: an unknown option, a missing value or a value of
/// the wrong type is a user error that names the option. Accepts "--name value" and "--name=value".
/// </summary>
public sealed class ParsedArguments
{
    private readonly Dictionary<string, string?> _values;
    private readonly string _command;

    private ParsedArguments(string command, Dictionary<string, string?> values) { _command = command; _values = values; }

    public static ParsedArguments Parse(IReadOnlyList<OptionInfo> options, string command, IReadOnlyList<string> args)
    {
        var known = options.ToDictionary(o => o.Name);
        var values = new Dictionary<string, string?>();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!token.StartsWith("--"))
                throw new UserInputException($"unexpected argument '{token}' for 'trainer {command}' (options start with --; see 'trainer {command} --help')");
            string name = token, inline = null!;
            var equals = token.IndexOf('=');
            if (equals > 0) { name = token[..equals]; inline = token[(equals + 1)..]; }
            if (!known.TryGetValue(name, out var option))
                throw new UserInputException($"unknown option '{name}' for 'trainer {command}' (see 'trainer {command} --help')");
            if (values.ContainsKey(name)) throw new UserInputException($"option {name} is given twice");
            if (option.IsFlag)
            {
                if (inline is not null) throw new UserInputException($"option {name} is a flag and takes no value");
                values[name] = null;
                continue;
            }
            if (inline is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--") && args[i + 1].Length > 2))
                    throw new UserInputException($"option {name} needs a value ({option.Value})");
                inline = args[++i];
            }
            values[name] = inline;
        }
        return new ParsedArguments(command, values);
    }

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>These arguments with only the named options (another command's share of them).</summary>
    public ParsedArguments Only(IEnumerable<string> names) =>
        new(_command, names.Where(_values.ContainsKey).ToDictionary(n => n, n => _values[n]));

    /// <summary>These arguments with an option's value set where it was not given.</summary>
    public ParsedArguments WithDefault(string name, string value) =>
        Has(name) ? this : new(_command, new Dictionary<string, string?>(_values) { [name] = value });

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.GetValueOrDefault(name);

    public string String(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;

    public string Required(string name) =>
        _values.GetValueOrDefault(name) ?? throw new UserInputException($"'trainer {_command}' needs {name}");

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
