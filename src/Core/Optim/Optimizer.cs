using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Optim;

/// <summary>
/// An update rule over the flat parameter vector, tensor by tensor. Its state (velocity) is part
/// of what a checkpoint keeps. Every rule is element-wise or reduces in a fixed sequential order,
/// so the server and the reference trainer compute the same bits.
/// </summary>
public abstract class Optimizer(IReadOnlyList<ParameterTensor> tensors)
{
    public const string Sgd = "sgd", Lars = "lars";
    public static IReadOnlyList<string> Kinds { get; } = [Sgd, Lars];

    protected IReadOnlyList<ParameterTensor> Tensors { get; } = tensors;

    public abstract float[] Velocity { get; }

    /// <summary>Applies one update with the mean gradient of a step.</summary>
    public abstract void Step(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate);

    public static Optimizer For(TrainOptions options, IReadOnlyList<ParameterTensor> tensors, int parameterCount) => options.Optimizer switch
    {
        Sgd => new SgdOptimizer(options.Sgd, tensors, parameterCount),
        Lars => new LarsOptimizer(options.Sgd, options.TrustCoefficient, tensors, parameterCount),
        var other => throw new ArgumentException($"unknown optimizer {other}"),
    };
}
