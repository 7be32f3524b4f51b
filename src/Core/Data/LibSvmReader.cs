using System.Globalization;

namespace Trainer.Core.Data;

/// <summary>
/// Reads a LibSVM sparse file ("label index:value …", indices 1-based) into dense rows.
/// The feature count is the largest index seen, or <c>features</c> when given (then larger indices are errors).
/// </summary>
public static class LibSvmReader
{
    public static Dataset Read(string path, LabelRule rule, int? features = null, string? name = null)
    {
        using var stream = DataFiles.OpenRead(path);
        using var reader = new StreamReader(DataFiles.MaybeGunzip(stream, path));
        var rows = new List<(int Index, float Value)[]>();
        var labels = new LabelCollector(rule, path);
        var maxIndex = 0;
        var lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            if (!double.TryParse(tokens[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var label))
                throw new UserInputException($"{path}, line {lineNumber}: label '{tokens[0]}' is not a number");
            labels.Add(label, $"line {lineNumber}");
            var row = new (int, float)[tokens.Length - 1];
            for (var t = 1; t < tokens.Length; t++)
            {
                var colon = tokens[t].IndexOf(':');
                if (colon <= 0 || !int.TryParse(tokens[t].AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
                    throw new UserInputException($"{path}, line {lineNumber}: '{tokens[t]}' is not of the form index:value");
                if (index < 1)
                    throw new UserInputException($"{path}, line {lineNumber}: feature index {index} is out of range: LibSVM indices start at 1");
                if (features is { } f && index > f)
                    throw new UserInputException($"{path}, line {lineNumber}: feature index {index} is beyond --features {f}");
                if (!double.TryParse(tokens[t].AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new UserInputException($"{path}, line {lineNumber}: value in '{tokens[t]}' is not a number");
                if (!double.IsFinite(value) || !float.IsFinite((float)value))
                    throw new UserInputException($"{path}, line {lineNumber}: feature {index} has the non-finite value {tokens[t][(colon + 1)..]}");
                row[t - 1] = (index, (float)value);
                maxIndex = Math.Max(maxIndex, index);
            }
            rows.Add(row);
        }
        if (rows.Count == 0) throw new UserInputException($"{path}: the file is empty (no data lines)");

        var width = features ?? maxIndex;
        var x = new float[(long)rows.Count * width];
        for (var i = 0; i < rows.Count; i++)
            foreach (var (index, value) in rows[i]) x[(long)i * width + index - 1] = value;
        var (y, classes) = labels.Finish();
        return new Dataset(name ?? Path.GetFileName(path), rows.Count, width, x, y, classes);
    }
}
