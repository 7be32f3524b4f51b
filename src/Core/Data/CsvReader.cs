using System.Globalization;

namespace Trainer.Core.Data;

/// <summary>
/// Reads a delimited text file (RFC 4180 quoting; gzip read transparently) with a header row:
/// numeric features and one label column (the last unless named). Class labels may be numbers
/// (0..K−1, or −1/+1) or names; names become classes 0..K−1 in sorted order and are kept with the
/// data (<see cref="Dataset.ClassNames"/>). With a delimiter other than a comma, a decimal comma is
/// read too (3,5 as 3.5), as spreadsheets in many locales write it. Every error names the file,
/// line and column.
/// </summary>
public static class CsvReader
{
    /// <param name="classNames">The training data's class names, when this file is held-out data for a model trained on names.</param>
    public static Dataset Read(string path, LabelRule rule, string? labelColumn = null, string? name = null, char? delimiter = null, IReadOnlyList<string>? classNames = null)
    {
        using var stream = DataFiles.OpenRead(path);
        return Read(stream, path, rule, labelColumn, name, delimiter ?? CsvRecords.Delimiter(null, path), classNames);
    }

    public static Dataset Read(Stream stream, string file, LabelRule rule, string? labelColumn = null, string? name = null, char delimiter = ',',
        IReadOnlyList<string>? classNames = null)
    {
        using var reader = new StreamReader(DataFiles.MaybeGunzip(stream, file));
        using var records = CsvRecords.Read(reader, delimiter, file).GetEnumerator();
        if (!records.MoveNext()) throw new UserInputException($"{file}: the file is empty");

        var (headerLine, names) = records.Current;
        if (names.Length < 2)
            throw new UserInputException($"{file}, line {headerLine}: the header names {names.Length} column{(delimiter == ',' ? "; need at least one feature and a label (for ; or tab files give --delimiter)" : "; need at least one feature and a label")}");
        var labelIndex = names.Length - 1;
        if (labelColumn is not null)
        {
            labelIndex = Array.IndexOf(names, labelColumn);
            if (labelIndex < 0) throw new UserInputException($"{file}: --label-column '{labelColumn}' is not in the header ({string.Join(", ", names)})");
        }

        var x = new List<float>();
        var labels = new List<(int Line, string Text)>();
        while (records.MoveNext())
        {
            var (line, cells) = records.Current;
            if (cells.Length != names.Length)
                throw new UserInputException($"{file}, line {line}: expected {names.Length} columns, found {cells.Length}");
            for (var c = 0; c < cells.Length; c++)
            {
                if (c == labelIndex) { labels.Add((line, cells[c])); continue; }
                if (!TryNumber(cells[c], delimiter, out var value))
                    throw new UserInputException($"{file}, line {line}, column {c + 1} ('{names[c]}'): '{cells[c]}' is not a number");
                if (!double.IsFinite(value) || !float.IsFinite((float)value))
                    throw new UserInputException($"{file}, line {line}, column {c + 1} ('{names[c]}'): {cells[c]} is not a finite value");
                x.Add((float)value);
            }
        }
        if (labels.Count == 0) throw new UserInputException($"{file}: the file has a header but no data rows");

        var (y, classes, found) = ReadLabels(labels, file, names[labelIndex], labelIndex + 1, rule, delimiter, classNames);
        return new Dataset(name ?? Path.GetFileName(file), y.Length, names.Length - 1, x.ToArray(), y, classes, found);
    }

    /// <summary>Numeric labels through <see cref="LabelCollector"/>; otherwise class names, mapped to indices.</summary>
    private static (float[] Labels, int Classes, string[]? Names) ReadLabels(List<(int Line, string Text)> labels, string file, string column, int columnNumber,
        LabelRule rule, char delimiter, IReadOnlyList<string>? classNames)
    {
        var numeric = classNames is null && labels.All(l => TryNumber(l.Text, delimiter, out _));
        if (numeric)
        {
            var collector = new LabelCollector(rule, file);
            foreach (var (line, text) in labels)
            {
                TryNumber(text, delimiter, out var value);
                collector.Add(value, $"line {line}");
            }
            var (y, classes) = collector.Finish();
            return (y, classes, null);
        }

        var who = rule.ModelName is null ? "" : $" for {rule.ModelName}";
        if (!rule.Classification)
        {
            var (line, text) = labels.First(l => !TryNumber(l.Text, delimiter, out _));
            throw new UserInputException($"{file}, line {line}, column {columnNumber} ('{column}'): label '{text}' is not a number; a regression target{who} must be numeric");
        }
        var names = classNames?.ToArray() ?? labels.Select(l => l.Text).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classNames is null && rule.Classes is { } k && names.Length > k)
            throw new UserInputException($"{file}: column '{column}' has {names.Length} class names ({Shorten(names)}); {rule.Describe()}{who} takes {k}");
        if (classNames is null && names.Length < 2)
            throw new UserInputException($"{file}: column '{column}' has one class name only ('{names[0]}'); a classifier needs two or more");
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        var result = new float[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            if (!index.TryGetValue(labels[i].Text, out var label))
                throw new UserInputException($"{file}, line {labels[i].Line}, column {columnNumber} ('{column}'): class '{labels[i].Text}' is not one of the model's classes ({Shorten(names)})");
            result[i] = label;
        }
        return (result, rule.Classes ?? names.Length, names);
    }

    private static string Shorten(string[] names) => names.Length <= 8 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + ", …";

    /// <summary>A number as written in the file; inf, -inf and nan are numbers too (so the error says they are not finite).</summary>
    private static bool TryNumber(string cell, char delimiter, out double value)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        if (delimiter != ',' && cell.Count(ch => ch == ',') == 1 && !cell.Contains('.')
            && double.TryParse(cell.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        var word = cell.TrimStart('+', '-').ToLowerInvariant();
        value = word is "nan" ? double.NaN : word is "inf" or "infinity" ? double.PositiveInfinity : 0;
        return word is "nan" or "inf" or "infinity";
    }
}
