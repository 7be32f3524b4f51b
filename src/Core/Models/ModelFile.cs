using System.Text.Json;
using System.Text.Json.Serialization;
using Trainer.Core.Data;
using Trainer.Core.Training;

namespace Trainer.Core.Models;

/// <summary>
/// Where the data of a saved model came from, so that evaluation can rebuild the same test split (or
/// read the --test set it was given), and how it was read: its --missing, the training means that
/// fill other files' missing cells under mean, and its --ignore-columns, applied to every file.
/// </summary>
public sealed record DataOrigin(string Data, string? LabelColumn, ulong Seed, double TestFraction, string? Delimiter = null, string? Test = null,
    string? Missing = null, double[]? MissingMeans = null, string? IgnoreColumns = null);

/// <summary>
/// A trained model on disk (JSON): the model's shape, the preprocessing fitted on its training data,
/// the data origin, the class names when the data named its classes, the parameter order, and the
/// weights as base64 little-endian float32 with their SHA-256, which is checked on reading so that a
/// damaged file is never used.
/// </summary>
public sealed record ModelFile(ModelSpec Spec, Preprocessor Preprocessor, DataOrigin Origin, float[] Weights, string[]? ClassNames = null)
{
    public const string Format = "trainer-model";
    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The names users read for the classes (label i is the i-th): the names the data gave, a built-in
    /// data set's own (<see cref="BuiltInDatasets.ClassNamesOf"/>), else the labels as the model holds
    /// them, 0..K−1 (a −1/+1 file's as 0/1); empty for regression. <see cref="ClassNames"/> stays what
    /// the data's label column held, which held-out files are read against.
    /// </summary>
    public string[] ClassLabels
    {
        get
        {
            if (Spec.IsRegression) return [];
            var classes = Math.Max(2, Spec.Classes);
            return ClassNames ?? (BuiltInDatasets.ClassNamesOf(Origin.Data, Origin.LabelColumn) is { } names && names.Length == classes ? names
                : Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
    }

    public byte[] ToBytes()
    {
        var network = new Network(Spec);
        var document = new Document(Format, Version, Spec, Preprocessor, Origin, ClassNames,
            network.Tensors.Select(t => new TensorEntry(t.Name, t.Offset, t.Rows, t.Cols)).ToArray(),
            Convert.ToBase64String(WeightsHash.ToBytes(Weights)), WeightsHash.Sha256(Weights));
        return JsonSerializer.SerializeToUtf8Bytes(document, Json);
    }

    public static ModelFile Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"--model-file {path}: no such file");
        Document? document;
        try { document = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path), Json); }
        catch (JsonException e) { throw new UserInputException($"{path}: not a model file (bad JSON at line {e.LineNumber + 1})"); }
        if (document is null || document.Format != Format)
            throw new UserInputException($"{path}: not a model file of this product (format '{document?.Format}')");
        if (document.Version != Version)
            throw new UserInputException($"{path}: model file version {document.Version}; this trainer reads version {Version}");
        if (document.Spec is null || document.Preprocessor is null || document.Origin is null || document.Weights is null)
            throw new UserInputException($"{path}: the model file is incomplete");

        float[] weights;
        try { weights = WeightsHash.FromBytes(Convert.FromBase64String(document.Weights)); }
        catch (FormatException) { throw new UserInputException($"{path}: the weights are damaged (not base64)"); }
        if (WeightsHash.Sha256(weights) != document.WeightsSha256)
            throw new UserInputException($"{path}: the weights are damaged (SHA-256 does not match)");
        if (!ModelSpec.Kinds.Contains(document.Spec.Kind))
            throw new UserInputException($"{path}: unknown model kind '{document.Spec.Kind}'");
        var expected = new Network(document.Spec).ParameterCount;
        if (weights.Length != expected)
            throw new UserInputException($"{path}: {weights.Length} weights, the model {document.Spec} has {expected}");
        if (document.ClassNames is { } names && (document.Spec.IsRegression || names.Length != Math.Max(2, document.Spec.Classes)))
            throw new UserInputException($"{path}: {names.Length} class names for the model {document.Spec}");
        return new ModelFile(document.Spec, document.Preprocessor, document.Origin, weights, document.ClassNames);
    }

    private sealed record TensorEntry(string Name, int Offset, int Rows, int Cols);

    private sealed record Document(
        string Format, int Version, ModelSpec? Spec, Preprocessor? Preprocessor, DataOrigin? Origin, string[]? ClassNames,
        TensorEntry[]? ParameterOrder, string? Weights, string? WeightsSha256);
}
