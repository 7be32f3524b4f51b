namespace Trainer.Core.Models;

/// <summary>
/// What to build: the model kind, input width, number of classes (0 for a regression target),
/// for the MLP its hidden widths and activation, and for regression the target's mean and scale
/// (the network learns the standardised target); for the convolutional models the image shape of a
/// row, the layers (<see cref="Layers.LayerPlan"/>) and the pooling kind; and the hidden layers'
/// dropout rate, which acts in training only. Everything else follows from these.
/// </summary>
public sealed record ModelSpec(string Kind, int Features, int Classes, int[] Hidden, string Activation = "relu", double TargetMean = 0, double TargetScale = 1)
{
    /// <summary>The probability of dropping a hidden unit in training (inverted dropout); 0: none.</summary>
    public double Dropout { get; init; }
    /// <summary>A row's image shape [C, H, W], for lenet and cnn.</summary>
    public int[]? InputShape { get; init; }
    /// <summary>cnn's layers as --layers gives them.</summary>
    public string? Layers { get; init; }
    /// <summary>The kind of a plain poolK layer: max or avg.</summary>
    public string Pool { get; init; } = Models.Layers.PoolLayer.Max;

    public const string LinearRegression = "linreg";
    public const string LogisticRegression = "logreg";
    public const string Softmax = "softmax";
    public const string Perceptron = "perceptron";
    public const string Svm = "svm";
    public const string Mlp = "mlp";
    public const string LeNet = "lenet";
    public const string Cnn = "cnn";

    public static IReadOnlyList<string> Kinds { get; } = [LinearRegression, LogisticRegression, Softmax, Perceptron, Svm, Mlp, LeNet, Cnn];

    public bool IsConvolutional => Kind is LeNet or Cnn;

    /// <summary>Whether the model has hidden layers, which --activation and --dropout act on.</summary>
    public static bool HasHiddenLayers(string kind) => kind is Mlp or LeNet or Cnn;
    public static IReadOnlyList<string> Activations { get; } = ["relu", "tanh", "sigmoid"];

    public bool IsRegression => Classes == 0;

    public const string Classification = "classification", Regression = "regression";
    public static IReadOnlyList<string> Tasks { get; } = [Classification, Regression];

    /// <summary>
    /// What the labels of the data must be for a model of this kind: real targets for linear
    /// regression, two classes for the binary models, classes for softmax; an MLP does either, as
    /// <paramref name="task"/> says (classification unless told).
    /// </summary>
    public static Data.LabelRule LabelRuleFor(string kind, string? task = null)
    {
        if (task is not null && !Tasks.Contains(task)) throw new UserInputException($"--task '{task}' is not one of {string.Join(", ", Tasks)}");
        var rule = kind switch
        {
            LinearRegression => Data.LabelRule.Regression with { ModelName = kind },
            LogisticRegression or Perceptron or Svm => new Data.LabelRule(true, 2, kind),
            Softmax or LeNet or Cnn => new Data.LabelRule(true, null, kind),
            Mlp when task == Regression => Data.LabelRule.Regression with { ModelName = kind },
            Mlp => new Data.LabelRule(true, null, kind),
            _ => throw new UserInputException($"--model '{kind}' is not one of {string.Join(", ", Kinds)}"),
        };
        if (task is not null && rule.Classification != (task == Classification))
            throw new UserInputException($"--task {task}: --model {kind} does {(rule.Classification ? Classification : Regression)} only");
        return rule;
    }

    /// <summary>Equality by value, including the hidden widths.</summary>
    public bool Equals(ModelSpec? other) =>
        other is not null && Kind == other.Kind && Features == other.Features && Classes == other.Classes &&
        Hidden.AsSpan().SequenceEqual(other.Hidden) && Activation == other.Activation && TargetMean == other.TargetMean && TargetScale == other.TargetScale &&
        Dropout == other.Dropout && (InputShape ?? []).AsSpan().SequenceEqual(other.InputShape ?? []) && Layers == other.Layers && Pool == other.Pool;

    public override int GetHashCode() => HashCode.Combine(Kind, Features, Classes, Hidden.Length, Activation);

    public override string ToString() => Kind switch
    {
        Mlp => $"mlp {Features}-{string.Join("-", Hidden)}-{Math.Max(1, Classes)} {Activation}{DropoutText}",
        LeNet => $"lenet {ShapeText}→{Classes} {Activation} {Pool}-pool{DropoutText}",
        Cnn => $"cnn {ShapeText} {Layers}→{Classes} {Activation} {Pool}-pool{DropoutText}",
        _ => $"{Kind} {Features}→{(Classes > 2 ? Classes : 1)}",
    };

    private string DropoutText => Dropout > 0 ? $" dropout {Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "";
    private string ShapeText => InputShape is { } shape ? string.Join("x", shape) : Features.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
