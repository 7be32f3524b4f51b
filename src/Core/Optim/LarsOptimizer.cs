using Trainer.Core.Models;

namespace Trainer.Core.Optim;

/// <summary>
/// LARS (You, Gitman and Ginsburg 2017, Algorithm 1), per weight tensor l with momentum m, weight
/// decay β and trust coefficient η:
///   λ = η‖w‖ / (‖∇w‖ + β‖w‖);  v ← m·v + γ·λ·(∇w + β·w);  w ← w − v.
/// λ is 1 where either norm is zero (a fresh or a dead layer). Biases take the plain momentum step
/// v ← m·v + γ·∇b without decay, as is usual: the ratio of a vector that starts at zero says nothing.
/// A squared norm is summed in double: sequentially within each <see cref="ShardPlan.Chunk"/> of the
/// whole vector, then the chunks' sums in order. Any machine, and any sharding of the vector,
/// computes the same λ from the same partial sums.
/// </summary>
public sealed class LarsOptimizer : Optimizer
{
    private readonly SgdSettings _settings;
    private readonly double _trust;
    private readonly int _origin;

    /// <param name="origin">Where this vector starts in the whole parameter vector (a shard's range start; 0 for the whole).</param>
    public LarsOptimizer(SgdSettings settings, double trustCoefficient, IReadOnlyList<ParameterTensor> tensors, int parameterCount, int origin = 0)
        : this(settings, trustCoefficient, tensors, new float[parameterCount], origin) { }

    /// <param name="velocity">The velocity to update in place.</param>
    public LarsOptimizer(SgdSettings settings, double trustCoefficient, IReadOnlyList<ParameterTensor> tensors, float[] velocity, int origin = 0) : base(tensors)
    {
        _settings = settings;
        _trust = trustCoefficient;
        _origin = origin;
        Velocity = velocity;
    }

    public override float[] Velocity { get; }

    /// <summary>The trust ratio of the last step, per tensor (1 for biases): for reports and tests.</summary>
    public double[] LastTrustRatios { get; private set; } = [];

    public override void Step(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate)
    {
        var partials = NormPartials(weights, meanGradient);
        Apply(weights, meanGradient, learningRate, Tensors.Select((t, i) => t.IsBias ? 1 : TrustRatio(partials[i].Weight, partials[i].Gradient)).ToArray());
    }

    /// <summary>Per tensor, the chunk partial sums of ‖w‖² and ‖∇w‖² (empty for biases, which need no ratio).</summary>
    public (double[] Weight, double[] Gradient)[] NormPartials(ReadOnlySpan<float> weights, ReadOnlySpan<float> meanGradient)
    {
        var partials = new (double[], double[])[Tensors.Count];
        for (var t = 0; t < Tensors.Count; t++)
        {
            var tensor = Tensors[t];
            partials[t] = tensor.IsBias ? ([], [])
                : (ChunkSquares(weights.Slice(tensor.Offset, tensor.Length), _origin + tensor.Offset),
                   ChunkSquares(meanGradient.Slice(tensor.Offset, tensor.Length), _origin + tensor.Offset));
        }
        return partials;
    }

    /// <summary>λ from a whole tensor's chunk partials, added in chunk order.</summary>
    public double TrustRatio(IEnumerable<double> weightPartials, IEnumerable<double> gradientPartials)
    {
        var weightNorm = Math.Sqrt(SumInOrder(weightPartials));
        var gradientNorm = Math.Sqrt(SumInOrder(gradientPartials));
        return weightNorm > 0 && gradientNorm > 0 ? _trust * weightNorm / (gradientNorm + _settings.WeightDecay * weightNorm) : 1;
    }

    /// <summary>The update with each tensor's trust ratio given (1 for biases).</summary>
    public void Apply(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate, double[] ratios)
    {
        var momentum = (float)_settings.Momentum;
        for (var t = 0; t < Tensors.Count; t++)
        {
            var tensor = Tensors[t];
            var w = weights.Slice(tensor.Offset, tensor.Length);
            var g = meanGradient.Slice(tensor.Offset, tensor.Length);
            var v = Velocity.AsSpan(tensor.Offset, tensor.Length);
            var decay = tensor.IsBias ? 0f : (float)_settings.WeightDecay;
            var rate = (float)(learningRate * (tensor.IsBias ? 1 : ratios[t]));
            for (var i = 0; i < w.Length; i++)
            {
                v[i] = v[i] * momentum + rate * (g[i] + decay * w[i]);
                w[i] -= v[i];
            }
        }
        LastTrustRatios = ratios;
    }

    /// <summary>Sequential double sums of squares over the parts of <paramref name="values"/> in each chunk of the whole vector.</summary>
    private static double[] ChunkSquares(ReadOnlySpan<float> values, int start)
    {
        var sums = new List<double>();
        for (var i = 0; i < values.Length;)
        {
            var end = Math.Min(values.Length, (start + i) / ShardPlan.Chunk * ShardPlan.Chunk + ShardPlan.Chunk - start);
            double sum = 0;
            for (; i < end; i++) sum += (double)values[i] * values[i];
            sums.Add(sum);
        }
        return [.. sums];
    }

    private static double SumInOrder(IEnumerable<double> values)
    {
        double sum = 0;
        foreach (var x in values) sum += x;
        return sum;
    }
}
