namespace Trainer.Core.Data;

/// <summary>
/// Where the data comes from, how it is read and how it is split; the seed makes every split
/// reproducible. <paramref name="Missing"/>: --missing (drop or mean; null refuses missing cells);
/// <paramref name="IgnoreColumns"/>: --ignore-columns as given, comma-separated.
/// </summary>
public sealed record DataSpec(
    string Data,
    string? Test = null,
    string? LabelColumn = null,
    int? Features = null,
    double ValFraction = 0.1,
    double? TestFraction = null,
    ulong Seed = 42,
    string? Delimiter = null,
    string? Missing = null,
    string? IgnoreColumns = null)
{
    /// <summary>--ignore-columns a,b as its names.</summary>
    public static string[] ColumnList(string? ignoreColumns) =>
        ignoreColumns is null ? [] : ignoreColumns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Training, validation and test sets, preprocessed with statistics of the training part.</summary>
public sealed record PreparedData(Dataset Train, Dataset? Validation, Dataset? Test, Preprocessor Preprocessor, double TestFraction)
{
    public int Features => Train.Features;
    public int Classes => Train.Classes;
    public string[]? ClassNames => Train.ClassNames;
}

/// <summary>Turns a data specification (built-in name, file or IDX folder) into prepared data sets.</summary>
public static class DataLoader
{
    private const long TestSplit = 1, ValidationSplit = 2;
    public const double DefaultTestFraction = 0.2;

    public static PreparedData Prepare(DataSpec spec, LabelRule rule)
    {
        var ignore = DataSpec.ColumnList(spec.IgnoreColumns);
        var (train, test, pixels) = ReadSource(spec.Data, rule, spec.LabelColumn, spec.Features, spec.Delimiter, missing: new MissingValues(spec.Missing), ignoreColumns: ignore);
        if (spec.Test is not null) // read as the training file: its means fill the test set's missing cells
            test = ReadHeldOut(spec.Test, rule, spec.LabelColumn, spec.Delimiter, train, new MissingValues(spec.Missing, train.MissingMeans), ignore);

        var testFraction = test is not null ? 0 : spec.TestFraction ?? DefaultTestFraction;
        if (test is null && testFraction > 0)
        {
            var (kept, heldOut) = Splits.HoldOut(train, testFraction, spec.Seed, TestSplit);
            test = train.Subset(heldOut, train.Name + " (test)");
            train = train.Subset(kept);
        }

        Dataset? validation = null;
        if (spec.ValFraction > 0)
        {
            var (kept, heldOut) = Splits.HoldOut(train, spec.ValFraction, spec.Seed, ValidationSplit);
            if (heldOut.Length > 0) validation = train.Subset(heldOut, train.Name + " (validation)");
            train = train.Subset(kept);
        }
        if (train.Count == 0)
            throw new UserInputException($"{spec.Data}: no rows left for training after the test and validation splits");

        var preprocessor = pixels ? Preprocessor.Identity : Preprocessor.FitStandardiser(train);
        preprocessor.Apply(train);
        if (validation is not null) preprocessor.Apply(validation);
        if (test is not null) preprocessor.Apply(test);
        return new PreparedData(train, validation, test, preprocessor, testFraction);
    }

    /// <summary>
    /// The held-out set a saved model is evaluated on: a file or folder as a whole; for a built-in
    /// name its test part (Fashion-MNIST's t10k files, or the same seeded test split as training).
    /// </summary>
    /// <param name="classNames">The model's class names, when it was trained on named classes: the data's names must be among them.</param>
    /// <param name="missing">The model's --missing and its training means, which fill this data's missing cells.</param>
    public static Dataset ReadForEvaluation(string data, LabelRule rule, string? labelColumn, int features, ulong seed, double testFraction,
        string? delimiter = null, string[]? classNames = null, MissingValues? missing = null, IReadOnlyList<string>? ignoreColumns = null)
    {
        if (Directory.Exists(data) && !IdxFolder.HasTrainingFiles(data)) // a folder of t10k files only, as --test takes
            return CheckFeatures(IdxFolder.ReadAny(data, rule, Path.GetFileName(Path.TrimEndingDirectorySeparator(data))), data, features);
        var (train, test, _) = ReadSource(data, rule, labelColumn, null, delimiter, classNames, missing, ignoreColumns);
        Dataset result;
        if (test is not null) result = test;
        else if (BuiltInDatasets.IsBuiltIn(data) && testFraction > 0)
            result = train.Subset(Splits.HoldOut(train, testFraction, seed, TestSplit).HeldOut, train.Name + " (test)");
        else result = train;
        return CheckFeatures(result, data, features);
    }

    private static Dataset CheckFeatures(Dataset data, string source, int features) => data.Features == features ? data
        : throw new UserInputException($"{source}: has {data.Features} features, the model expects {features}");

    /// <summary>A data source's rows (and its own test part, if it has one); pixels says it is IDX data already in [0, 1].</summary>
    public static (Dataset Train, Dataset? Test, bool Pixels) ReadSource(string data, LabelRule rule, string? labelColumn, int? features,
        string? delimiter = null, string[]? classNames = null, MissingValues? missing = null, IReadOnlyList<string>? ignoreColumns = null)
    {
        var columns = new ColumnOptions(labelColumn, delimiter, missing?.Policy, ignoreColumns);
        try
        {
            if (BuiltInDatasets.IsBuiltIn(data) && !File.Exists(data) && !Directory.Exists(data))
            {
                if (data == BuiltInDatasets.FashionMnist)
                {
                    NoColumns(data, "an IDX data set", columns);
                    var (train, test) = IdxFolder.Read(BuiltInDatasets.LocateFashionMnist(), rule, data);
                    return (train, test, true);
                }
                if (delimiter is not null) throw new UserInputException($"--delimiter: the built-in data set {data} is read as it is");
                return (BuiltInDatasets.ReadEmbedded(data, rule, labelColumn, ignoreColumns), null, false);
            }
            if (Directory.Exists(data))
            {
                NoColumns(data, "a folder of IDX files", columns);
                var (train, test) = IdxFolder.Read(data, rule, Path.GetFileName(Path.TrimEndingDirectorySeparator(data)));
                return (train, test, true);
            }
            return (ReadFile(data, rule, labelColumn, features, delimiter, classNames, missing, ignoreColumns), null, false);
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{data}: damaged compressed data ({e.Message})");
        }
    }

    private static Dataset ReadHeldOut(string path, LabelRule rule, string? labelColumn, string? delimiter, Dataset train, MissingValues missing, IReadOnlyList<string> ignoreColumns)
    {
        var heldOutRule = train.IsRegression ? rule : rule with { Classes = train.Classes };
        try
        {
            var test = Directory.Exists(path)
                ? IdxFolder.ReadAny(path, heldOutRule, Path.GetFileName(Path.TrimEndingDirectorySeparator(path)))
                : ReadFile(path, heldOutRule, labelColumn, train.Features, delimiter, train.ClassNames, missing, ignoreColumns);
            if (test.Features != train.Features)
                throw new UserInputException($"--test {path}: has {test.Features} features, the training data has {train.Features}");
            return test;
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{path}: damaged compressed data ({e.Message})");
        }
    }

    private static Dataset ReadFile(string path, LabelRule rule, string? labelColumn, int? features, string? delimiter, string[]? classNames,
        MissingValues? missing, IReadOnlyList<string>? ignoreColumns)
    {
        var lower = path.ToLowerInvariant();
        if (lower.EndsWith(".csv") || lower.EndsWith(".csv.gz") || lower.EndsWith(".tsv") || lower.EndsWith(".tsv.gz") || lower.EndsWith(".txt"))
            return CsvReader.Read(path, rule, labelColumn, delimiter: CsvRecords.Delimiter(delimiter, path), classNames: classNames, missing: missing, ignoreColumns: ignoreColumns);
        if (lower.EndsWith(".libsvm") || lower.EndsWith(".svm") || lower.EndsWith(".libsvm.gz") || lower.EndsWith(".svm.gz"))
        {
            NoColumns(path, "a LibSVM file", new ColumnOptions(labelColumn, delimiter, missing?.Policy, ignoreColumns));
            return LibSvmReader.Read(path, rule, features);
        }
        if (!File.Exists(path))
            throw new UserInputException($"--data {path}: no such file, folder or built-in data set (built-in: {string.Join(", ", BuiltInDatasets.Names)})");
        throw new UserInputException($"{path}: unknown data format: expected .csv, .tsv, .txt (delimited, optionally .gz), .libsvm, .svm or a folder of IDX files");
    }

    /// <summary>The options that describe delimited text's columns and cells.</summary>
    private sealed record ColumnOptions(string? LabelColumn, string? Delimiter, string? Missing, IReadOnlyList<string>? IgnoreColumns);

    /// <summary>--label-column, --delimiter, --missing and --ignore-columns describe delimited text; other formats have none of them.</summary>
    private static void NoColumns(string data, string kind, ColumnOptions columns)
    {
        if (columns.LabelColumn is { } labelColumn)
            throw new UserInputException($"--label-column '{labelColumn}': {data} is {kind}, which has no named columns (its labels are its own)");
        if (columns.Delimiter is not null) throw new UserInputException($"--delimiter: {data} is {kind}, not delimited text");
        if (columns.IgnoreColumns is { Count: > 0 } ignore)
            throw new UserInputException($"--ignore-columns '{string.Join(',', ignore)}': {data} is {kind}, which has no named columns");
        if (columns.Missing is { } missing) throw new UserInputException($"--missing {missing}: {data} is {kind}, which has no missing cells to fill");
    }
}
