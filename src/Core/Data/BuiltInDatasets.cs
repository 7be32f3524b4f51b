namespace Trainer.Core.Data;

/// <summary>
/// The data sets that need no path: three small tables embedded in the product (origins in
/// Data/BuiltIn/SOURCES.md) and Fashion-MNIST, found where Debian's package or the user put it.
/// </summary>
public static class BuiltInDatasets
{
    public const string FashionMnist = "fashion-mnist";
    public const string DebianFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    private static readonly Dictionary<string, string> Embedded = new()
    {
        ["digits"] = "digits.csv.gz",
        ["breast-cancer"] = "breast_cancer.csv",
        ["diabetes"] = "diabetes.csv",
    };

    public static IReadOnlyList<string> Names { get; } = [.. Embedded.Keys, FashionMnist];

    public static bool IsBuiltIn(string name) => Embedded.ContainsKey(name) || name == FashionMnist;

    /// <summary>The task a built-in data set is for: diabetes has a regression target; the others have classes.</summary>
    public static string? TaskOf(string name) => name == "diabetes" ? "regression" : IsBuiltIn(name) ? "classification" : null;

    /// <summary>
    /// The names of a built-in data set's classes for what users read (label i is the i-th name):
    /// Fashion-MNIST's garments (Zalando's list) and the digits' digits; null for other data, and for
    /// a built-in table whose label is another column (--label-column).
    /// </summary>
    public static string[]? ClassNamesOf(string data, string? labelColumn = null) => labelColumn is not null ? null : data switch
    {
        FashionMnist => ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "digits" => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        _ => null,
    };

    public static Dataset ReadEmbedded(string name, LabelRule rule, string? labelColumn = null, IReadOnlyList<string>? ignoreColumns = null)
    {
        var resource = Embedded[name];
        using var stream = typeof(BuiltInDatasets).Assembly.GetManifestResourceStream($"Trainer.Core.Data.BuiltIn.{resource}")
            ?? throw new InvalidOperationException($"built-in data set {name} is missing from the assembly");
        return CsvReader.Read(stream, name, rule, labelColumn, name, ignoreColumns: ignoreColumns);
    }

    /// <summary>
    /// The folder holding the Fashion-MNIST IDX files: $TRAINER_DATASETS(/fashion-mnist), then Debian's
    /// place. (TRAINER_DATA is --data's variable, as every option has its TRAINER_ one.)
    /// </summary>
    public static string LocateFashionMnist() => LocateFashionMnist(FashionMnistCandidates());

    public const string DatasetsVariable = "TRAINER_DATASETS";

    internal static IReadOnlyList<string> FashionMnistCandidates()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(DatasetsVariable) is { Length: > 0 } root)
        {
            candidates.Add(Path.Combine(root, FashionMnist));
            candidates.Add(root);
        }
        candidates.Add(DebianFashionMnistFolder);
        return candidates;
    }

    internal static string LocateFashionMnist(IReadOnlyList<string> candidates)
    {
        foreach (var folder in candidates)
            if (IdxFolder.HasTrainingFiles(folder)) return folder;

        throw new UserInputException(
            "fashion-mnist: the IDX files were not found in " + string.Join(" or ", candidates) +
            ". Install them with 'apt-get install dataset-fashion-mnist' (Debian), or download " +
            "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz " +
            $"from the Fashion-MNIST project (zalandoresearch/fashion-mnist on GitHub) into a folder and pass --data FOLDER or set {DatasetsVariable}=FOLDER");
    }
}
