namespace Trainer.Core.Models;

/// <summary>
/// What to build: the model kind, input width, number of classes (0 for a regression target),
/// and for the MLP its hidden widths and activation. Everything else follows from these.
/// </summary>
public sealed record ModelSpec(string Kind, int Features, int Classes, int[] Hidden, string Activation = "relu")
{
    public const string LinearRegression = "linreg";
    public const string LogisticRegression = "logreg";
    public const string Softmax = "softmax";
    public const string Perceptron = "perceptron";
    public const string Svm = "svm";
    public const string Mlp = "mlp";

    public static IReadOnlyList<string> Kinds { get; } = [LinearRegression, LogisticRegression, Softmax, Perceptron, Svm, Mlp];
    public static IReadOnlyList<string> Activations { get; } = ["relu", "tanh", "sigmoid"];

    public bool IsRegression => Classes == 0;

    /// <summary>What the labels of the data must be for a model of this kind.</summary>
    public static Data.LabelRule LabelRuleFor(string kind) => kind switch
    {
        LinearRegression => Data.LabelRule.Regression,
        LogisticRegression or Perceptron or Svm => new Data.LabelRule(true, 2, kind),
        Softmax => new Data.LabelRule(true, null, kind),
        Mlp => new Data.LabelRule(true, null, kind),
        _ => throw new UserInputException($"--model '{kind}' is not one of {string.Join(", ", Kinds)}"),
    };

    /// <summary>Equality by value, including the hidden widths.</summary>
    public bool Equals(ModelSpec? other) =>
        other is not null && Kind == other.Kind && Features == other.Features && Classes == other.Classes &&
        Hidden.AsSpan().SequenceEqual(other.Hidden) && Activation == other.Activation;

    public override int GetHashCode() => HashCode.Combine(Kind, Features, Classes, Hidden.Length, Activation);

    public override string ToString() => Kind == Mlp
        ? $"mlp {Features}-{string.Join("-", Hidden)}-{Math.Max(1, Classes)} {Activation}"
        : $"{Kind} {Features}→{(Classes > 2 ? Classes : 1)}";
}
