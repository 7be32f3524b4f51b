using System.Globalization;
using System.IO.Compression;

namespace Trainer.Core.Data;

/// <summary>
/// Reads a CSV (or gzip-compressed CSV) with a header row: numeric features and one label column
/// (the last unless named). Every error names the file, line and column.
/// </summary>
public static class CsvReader
{
    public static Dataset Read(string path, LabelRule rule, string? labelColumn = null, string? name = null)
    {
        using var stream = DataFiles.OpenRead(path);
        return Read(stream, path, rule, labelColumn, name);
    }

    public static Dataset Read(Stream stream, string file, LabelRule rule, string? labelColumn = null, string? name = null)
    {
        using var reader = new StreamReader(DataFiles.MaybeGunzip(stream, file));
        var header = reader.ReadLine();
        var lineNumber = 1;
        while (header is not null && string.IsNullOrWhiteSpace(header)) { header = reader.ReadLine(); lineNumber++; }
        if (header is null) throw new UserInputException($"{file}: the file is empty");

        var names = header.Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        if (names.Length < 2) throw new UserInputException($"{file}, line {lineNumber}: the header names {names.Length} column; need at least one feature and a label");
        var labelIndex = names.Length - 1;
        if (labelColumn is not null)
        {
            labelIndex = Array.IndexOf(names, labelColumn);
            if (labelIndex < 0) throw new UserInputException($"{file}: --label-column '{labelColumn}' is not in the header ({string.Join(", ", names)})");
        }

        var features = names.Length - 1;
        var x = new List<float>();
        var labels = new LabelCollector(rule, file);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var cells = line.Split(',');
            if (cells.Length != names.Length)
                throw new UserInputException($"{file}, line {lineNumber}: expected {names.Length} columns, found {cells.Length}");
            for (var c = 0; c < cells.Length; c++)
            {
                var cell = cells[c].Trim().Trim('"');
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && !IsNonFiniteWord(cell, out value))
                    throw new UserInputException($"{file}, line {lineNumber}, column {c + 1} ('{names[c]}'): '{cell}' is not a number");
                if (c == labelIndex) { labels.Add(value, $"line {lineNumber}"); continue; }
                if (!double.IsFinite(value) || !float.IsFinite((float)value))
                    throw new UserInputException($"{file}, line {lineNumber}, column {c + 1} ('{names[c]}'): {cell} is not a finite value");
                x.Add((float)value);
            }
        }
        if (labels.Count == 0) throw new UserInputException($"{file}: the file has a header but no data rows");
        var (y, classes) = labels.Finish();
        return new Dataset(name ?? Path.GetFileName(file), y.Length, features, x.ToArray(), y, classes);
    }

    /// <summary>inf, -inf, nan and their spellings: numbers, but not finite ones (so the error says so).</summary>
    private static bool IsNonFiniteWord(string cell, out double value)
    {
        var word = cell.TrimStart('+', '-').ToLowerInvariant();
        value = word is "nan" ? double.NaN : word is "inf" or "infinity" ? double.PositiveInfinity : 0;
        return word is "nan" or "inf" or "infinity";
    }
}
