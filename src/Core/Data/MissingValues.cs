namespace Trainer.Core.Data;

/// <summary>
/// How a delimited file's missing cells (empty, NA, N/A or ?, in any case) are read: refused (the
/// default, <see cref="Policy"/> null), their rows left out (<see cref="Drop"/>), or a missing feature
/// filled with its column's mean (<see cref="Mean"/>; a row without its label is left out). The means
/// are the training file's: given in <see cref="Means"/>, other files are filled with them, as a model
/// saw its training data.
/// </summary>
/// <param name="ForModel">The file is read for a saved model (predict, evaluate), whose policy it follows: a refusal says so.</param>
public sealed record MissingValues(string? Policy = null, double[]? Means = null, bool ForModel = false)
{
    public const string Drop = "drop", Mean = "mean";
    public static IReadOnlyList<string> Kinds { get; } = [Drop, Mean];

    /// <summary>What a data set read with no --missing given refuses.</summary>
    public static MissingValues Refuse { get; } = new();

    /// <summary>A cell that holds no value: empty, NA, N/A or ? (R, pandas and UCI spell it so).</summary>
    public static bool IsMissing(string cell) =>
        cell.Length == 0 || cell == "?" || cell.Equals("NA", StringComparison.OrdinalIgnoreCase) || cell.Equals("N/A", StringComparison.OrdinalIgnoreCase);

    /// <summary>The refusal of a missing cell when no policy is set; <paramref name="label"/>: the cell is the row's label.</summary>
    public string Refusal(string cell, bool label) => ForModel
        ? $"a missing {(label ? "label" : "value")} ('{cell}'); the model was trained without --missing, so it reads complete rows only (train it with --missing drop or mean)"
        : label
            ? $"a missing label ('{cell}'); pass --missing drop or --missing mean (either leaves such rows out)"
            : $"a missing value ('{cell}'); pass --missing drop (leave such rows out) or --missing mean (the column's mean)";
}
