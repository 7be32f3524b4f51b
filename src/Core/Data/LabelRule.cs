namespace Trainer.Core.Data;

/// <summary>
/// What the labels of a file must be, checked while it is read so that an error names the line:
/// real targets for regression, or class indices 0..K−1 (binary files may use −1/+1, read as 0/1).
/// </summary>
public sealed record LabelRule(bool Classification, int? Classes = null, string? ModelName = null)
{
    public static LabelRule Regression { get; } = new(false);

    public string Describe() => Classes switch
    {
        2 => "0/1 (or −1/+1)",
        { } k => $"0..{k - 1}",
        null => "class indices 0, 1, 2, …",
    };
}

/// <summary>Collects labels of one file under a <see cref="LabelRule"/>, then maps −1/+1 files to 0/1.</summary>
internal sealed class LabelCollector(LabelRule rule, string file)
{
    private readonly List<float> _labels = [];
    private int _firstMinusOneLine, _firstBeyondOneLine;
    private float _firstBeyondOne;
    private int _max = -1;

    public int Count => _labels.Count;

    public void Add(double value, string where)
    {
        if (!double.IsFinite(value)) throw new UserInputException($"{file}, {where}: label '{value}' is not a finite number");
        if (!rule.Classification) { _labels.Add((float)value); return; }

        var who = rule.ModelName is null ? "" : $" for {rule.ModelName}";
        if (value != Math.Floor(value) || value < -1 || value > int.MaxValue)
            throw new UserInputException($"{file}, {where}: label {value} is out of range: expected {rule.Describe()}{who}" +
                                         (rule.ModelName == "mlp" ? " (for a regression target give --task regression)" : ""));
        var label = (int)value;
        if (label == -1 && _firstMinusOneLine == 0) _firstMinusOneLine = _labels.Count + 1;
        if (label > 1 && _firstBeyondOneLine == 0) { _firstBeyondOneLine = _labels.Count + 1; _firstBeyondOne = label; }
        if (rule.Classes is { } k && label >= k)
            throw new UserInputException($"{file}, {where}: label {label} is out of range: expected {rule.Describe()}{who}");
        _max = Math.Max(_max, label);
        _labels.Add(label);
        if (_firstMinusOneLine != 0 && _firstBeyondOneLine != 0)
            throw new UserInputException($"{file}, {where}: label {_firstBeyondOne} is out of range: a file with label −1 must use −1/+1 only");
    }

    /// <summary>The labels (−1 mapped to 0 in a ±1 file) and the number of classes (0 for regression).</summary>
    public (float[] Labels, int Classes) Finish()
    {
        var labels = _labels.ToArray();
        if (!rule.Classification) return (labels, 0);
        if (_firstMinusOneLine != 0)
            for (var i = 0; i < labels.Length; i++) labels[i] = labels[i] < 0 ? 0 : 1;
        var classes = rule.Classes ?? Math.Max(2, _firstMinusOneLine != 0 ? 2 : _max + 1);
        return (labels, classes);
    }
}
