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

    /// <summary>True when each element's update depends on that element alone, so ranges may be updated apart (<see cref="StepRange"/>).</summary>
    public virtual bool ElementWise => false;

    /// <summary>The update of the elements [start, start + length) alone; only where <see cref="ElementWise"/>.</summary>
    public virtual void StepRange(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate, int start, int length) =>
        throw new NotSupportedException($"{GetType().Name} updates the whole vector at once");

    /// <summary>Whether the rule keeps a velocity (momentum, or LARS): a vector as long as the parameters.</summary>
    public static bool HasVelocity(TrainOptions options) => options.Momentum > 0 || options.Optimizer == Lars;

    /// <param name="velocity">The rule's state, owned by the caller (a checkpoint's); null: a fresh one.</param>
    /// <param name="origin">Where the tensors' vector starts in the whole parameter vector (a shard's range start).</param>
    public static Optimizer For(TrainOptions options, IReadOnlyList<ParameterTensor> tensors, int parameterCount, float[]? velocity = null, int origin = 0)
    {
        velocity ??= HasVelocity(options) ? new float[parameterCount] : [];
        if (velocity.Length != (HasVelocity(options) ? parameterCount : 0))
            throw new ArgumentException($"a velocity of {velocity.Length} values for {parameterCount} parameters", nameof(velocity));
        return options.Optimizer switch
        {
            Sgd => new SgdOptimizer(options.Sgd, tensors, velocity),
            Lars => new LarsOptimizer(options.Sgd, options.TrustCoefficient, tensors, velocity, origin),
            var other => throw new ArgumentException($"unknown optimizer {other}"),
        };
    }
}
