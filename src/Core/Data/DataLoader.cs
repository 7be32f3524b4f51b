namespace Trainer.Core.Data;

/// <summary>Where the data comes from and how it is split; the seed makes every split reproducible.</summary>
public sealed record DataSpec(
    string Data,
    string? Test = null,
    string? LabelColumn = null,
    int? Features = null,
    double ValFraction = 0.1,
    double? TestFraction = null,
    ulong Seed = 42,
    string? Delimiter = null);

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
        var (train, test, pixels) = ReadSource(spec.Data, rule, spec.LabelColumn, spec.Features, spec.Delimiter);
        if (spec.Test is not null)
            test = ReadHeldOut(spec.Test, rule, spec.LabelColumn, spec.Delimiter, train);

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
    public static Dataset ReadForEvaluation(string data, LabelRule rule, string? labelColumn, int features, ulong seed, double testFraction,
        string? delimiter = null, string[]? classNames = null)
    {
        if (Directory.Exists(data) && !IdxFolder.HasTrainingFiles(data)) // a folder of t10k files only, as --test takes
            return CheckFeatures(IdxFolder.ReadAny(data, rule, Path.GetFileName(Path.TrimEndingDirectorySeparator(data))), data, features);
        var (train, test, _) = ReadSource(data, rule, labelColumn, null, delimiter, classNames);
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
        string? delimiter = null, string[]? classNames = null)
    {
        try
        {
            if (BuiltInDatasets.IsBuiltIn(data) && !File.Exists(data) && !Directory.Exists(data))
            {
                if (data == BuiltInDatasets.FashionMnist)
                {
                    NoColumns(data, "an IDX data set", labelColumn, delimiter);
                    var (train, test) = IdxFolder.Read(BuiltInDatasets.LocateFashionMnist(), rule, data);
                    return (train, test, true);
                }
                if (delimiter is not null) throw new UserInputException($"--delimiter: the built-in data set {data} is read as it is");
                return (BuiltInDatasets.ReadEmbedded(data, rule, labelColumn), null, false);
            }
            if (Directory.Exists(data))
            {
                NoColumns(data, "a folder of IDX files", labelColumn, delimiter);
                var (train, test) = IdxFolder.Read(data, rule, Path.GetFileName(Path.TrimEndingDirectorySeparator(data)));
                return (train, test, true);
            }
            return (ReadFile(data, rule, labelColumn, features, delimiter, classNames), null, false);
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{data}: damaged compressed data ({e.Message})");
        }
    }

    private static Dataset ReadHeldOut(string path, LabelRule rule, string? labelColumn, string? delimiter, Dataset train)
    {
        var heldOutRule = train.IsRegression ? rule : rule with { Classes = train.Classes };
        try
        {
            var test = Directory.Exists(path)
                ? IdxFolder.ReadAny(path, heldOutRule, Path.GetFileName(Path.TrimEndingDirectorySeparator(path)))
                : ReadFile(path, heldOutRule, labelColumn, train.Features, delimiter, train.ClassNames);
            if (test.Features != train.Features)
                throw new UserInputException($"--test {path}: has {test.Features} features, the training data has {train.Features}");
            return test;
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{path}: damaged compressed data ({e.Message})");
        }
    }

    private static Dataset ReadFile(string path, LabelRule rule, string? labelColumn, int? features, string? delimiter, string[]? classNames)
    {
        var lower = path.ToLowerInvariant();
        if (lower.EndsWith(".csv") || lower.EndsWith(".csv.gz") || lower.EndsWith(".tsv") || lower.EndsWith(".tsv.gz") || lower.EndsWith(".txt"))
            return CsvReader.Read(path, rule, labelColumn, delimiter: CsvRecords.Delimiter(delimiter, path), classNames: classNames);
        if (lower.EndsWith(".libsvm") || lower.EndsWith(".svm") || lower.EndsWith(".libsvm.gz") || lower.EndsWith(".svm.gz"))
        {
            NoColumns(path, "a LibSVM file", labelColumn, delimiter);
            return LibSvmReader.Read(path, rule, features);
        }
        if (!File.Exists(path))
            throw new UserInputException($"--data {path}: no such file, folder or built-in data set (built-in: {string.Join(", ", BuiltInDatasets.Names)})");
        throw new UserInputException($"{path}: unknown data format: expected .csv, .tsv, .txt (delimited, optionally .gz), .libsvm, .svm or a folder of IDX files");
    }

    /// <summary>--label-column and --delimiter describe delimited text; other formats have neither.</summary>
    private static void NoColumns(string data, string kind, string? labelColumn, string? delimiter)
    {
        if (labelColumn is not null)
            throw new UserInputException($"--label-column '{labelColumn}': {data} is {kind}, which has no named columns (its labels are its own)");
        if (delimiter is not null) throw new UserInputException($"--delimiter: {data} is {kind}, not delimited text");
    }
}
