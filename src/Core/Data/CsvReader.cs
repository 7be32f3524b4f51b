using System.Globalization;

namespace Trainer.Core.Data;

/// <summary>
/// Reads a delimited text file (RFC 4180 quoting; gzip read transparently) with a header row:
/// numeric features and one label column (the last unless named). Class labels may be numbers
/// (0..K−1, or −1/+1) or names; names become classes 0..K−1 in sorted order and are kept with the
/// data (<see cref="Dataset.ClassNames"/>). With a delimiter other than a comma, a decimal comma is
/// read too (3,5 as 3.5), as spreadsheets in many locales write it. --ignore-columns leaves columns
/// out (ids, notes); missing cells are refused unless <see cref="MissingValues"/> says otherwise.
/// Every error names the file, line and column.
/// </summary>
public static class CsvReader
{
    /// <param name="classNames">The training data's class names, when this file is held-out data for a model trained on names.</param>
    /// <param name="missing">How missing cells are read (<see cref="MissingValues"/>; default: refused).</param>
    /// <param name="ignoreColumns">Columns left out before anything else is read (--ignore-columns): ids, notes.</param>
    public static Dataset Read(string path, LabelRule rule, string? labelColumn = null, string? name = null, char? delimiter = null, IReadOnlyList<string>? classNames = null,
        MissingValues? missing = null, IReadOnlyList<string>? ignoreColumns = null)
    {
        using var stream = DataFiles.OpenRead(path);
        return Read(stream, path, rule, labelColumn, name, delimiter ?? CsvRecords.Delimiter(null, path), classNames, missing, ignoreColumns);
    }

    public static Dataset Read(Stream stream, string file, LabelRule rule, string? labelColumn = null, string? name = null, char delimiter = ',',
        IReadOnlyList<string>? classNames = null, MissingValues? missing = null, IReadOnlyList<string>? ignoreColumns = null)
    {
        missing ??= MissingValues.Refuse;
        using var reader = new StreamReader(DataFiles.MaybeGunzip(stream, file));
        using var records = CsvRecords.Read(reader, delimiter, file).GetEnumerator();
        if (!records.MoveNext()) throw new UserInputException($"{file}: the file is empty");

        var (headerLine, header) = records.Current;
        var kept = KeptColumns(header, ignoreColumns, labelColumn, file);
        var names = kept.Select(c => header[c]).ToArray();
        if (names.Length < 2)
            throw new UserInputException($"{file}, line {headerLine}: the header names {names.Length} column{(delimiter == ',' ? "; need at least one feature and a label (for ; or tab files give --delimiter)" : "; need at least one feature and a label")}");
        var labelIndex = names.Length - 1;
        if (labelColumn is not null)
        {
            labelIndex = Array.IndexOf(names, labelColumn);
            if (labelIndex < 0) throw new UserInputException($"{file}: --label-column '{labelColumn}' is not in the header ({string.Join(", ", header)})");
        }

        var features = names.Length - 1;
        var x = new List<float>();
        var labels = new List<(int Line, string Text)>();
        var (sums, counts) = (new double[features], new int[features]);
        var row = new double[features];
        var left = 0; // rows left out for a missing cell
        while (records.MoveNext())
        {
            var (line, cells) = records.Current;
            if (cells.Length != header.Length)
                throw new UserInputException($"{file}, line {line}: expected {header.Length} columns, found {cells.Length}");
            var leaveOut = false;
            for (int j = 0, f = 0; j < kept.Length; j++)
            {
                var (c, cell) = (kept[j], cells[kept[j]]);
                var where = $"{file}, line {line}, column {c + 1} ('{header[c]}')";
                if (MissingValues.IsMissing(cell))
                {
                    if (missing.Policy is null) throw new UserInputException($"{where}: {missing.Refusal(cell, label: j == labelIndex)}");
                    leaveOut |= j == labelIndex || missing.Policy == MissingValues.Drop;
                    if (j != labelIndex) row[f++] = double.NaN;
                    continue;
                }
                if (j == labelIndex) continue;
                if (!TryNumber(cell, delimiter, out var value))
                    throw new UserInputException($"{where}: '{cell}' is not a number{(missing.ForModel ? "" : $"; pass --ignore-columns {header[c]} to leave the column out")}");
                if (!double.IsFinite(value) || !float.IsFinite((float)value))
                    throw new UserInputException($"{where}: {cell} is not a finite value");
                row[f++] = value;
            }
            if (leaveOut) { left++; continue; }
            labels.Add((line, cells[kept[labelIndex]]));
            for (var f = 0; f < features; f++)
            {
                x.Add(double.IsNaN(row[f]) ? float.NaN : (float)row[f]);
                if (!double.IsNaN(row[f])) { sums[f] += row[f]; counts[f]++; }
            }
        }
        if (labels.Count == 0)
            throw new UserInputException(left == 0 ? $"{file}: the file has a header but no data rows"
                : $"{file}: no rows left: each of its {left} data row{(left == 1 ? "" : "s")} has a missing {(missing.Policy == MissingValues.Drop ? "value" : "label")}");

        var means = missing.Policy == MissingValues.Mean ? Means(missing, sums, counts, header, kept, labelIndex, file) : null;
        var values = x.ToArray();
        if (means is not null)
            for (var i = 0; i < values.Length; i++)
                if (float.IsNaN(values[i])) values[i] = (float)means[i % features];

        var (y, classes, found) = ReadLabels(labels, file, names[labelIndex], kept[labelIndex] + 1, rule, delimiter, classNames);
        return new Dataset(name ?? Path.GetFileName(file), y.Length, features, values, y, classes, found) { MissingMeans = means };
    }

    /// <summary>The columns read, in order: all but --ignore-columns', each of which must be in the header and none the label column.</summary>
    private static int[] KeptColumns(string[] header, IReadOnlyList<string>? ignoreColumns, string? labelColumn, string file)
    {
        if (ignoreColumns is null || ignoreColumns.Count == 0) return Enumerable.Range(0, header.Length).ToArray();
        foreach (var column in ignoreColumns)
        {
            if (!header.Contains(column)) throw new UserInputException($"{file}: --ignore-columns '{column}' is not in the header ({string.Join(", ", header)})");
            if (column == labelColumn) throw new UserInputException($"--ignore-columns '{column}': it is the label column (--label-column); a model needs its labels");
        }
        return Enumerable.Range(0, header.Length).Where(c => !ignoreColumns.Contains(header[c])).ToArray();
    }

    /// <summary>The means a missing feature is filled with: the model's, given; else each column's over the rows that have it.</summary>
    private static double[] Means(MissingValues missing, double[] sums, int[] counts, string[] header, int[] kept, int labelIndex, string file)
    {
        if (missing.Means is { } given)
            return given.Length == sums.Length ? given
                : throw new UserInputException($"{file}: has {sums.Length} features, the model's --missing mean has means for {given.Length}");
        var featureColumns = kept.Where((_, j) => j != labelIndex).ToArray();
        var means = new double[sums.Length];
        for (var f = 0; f < means.Length; f++)
        {
            if (counts[f] == 0)
                throw new UserInputException($"{file}, column {featureColumns[f] + 1} ('{header[featureColumns[f]]}'): every value is missing, so it has no mean; pass --ignore-columns {header[featureColumns[f]]}");
            means[f] = sums[f] / counts[f];
        }
        return means;
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
