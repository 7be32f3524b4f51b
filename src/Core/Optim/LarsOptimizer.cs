using Trainer.Core.Models;

namespace Trainer.Core.Optim;

/// <summary>
/// LARS (You, Gitman and Ginsburg 2017, Algorithm 1), per weight tensor l with momentum m, weight
/// decay β and trust coefficient η:
///   λ = η‖w‖ / (‖∇w‖ + β‖w‖);  v ← m·v + γ·λ·(∇w + β·w);  w ← w − v.
/// λ is 1 where either norm is zero (a fresh or a dead layer). Biases take the plain momentum step
/// v ← m·v + γ·∇b without decay, as is usual: the ratio of a vector that starts at zero says nothing.
/// Norms are summed in double, sequentially, so every machine computes the same λ.
/// </summary>
public sealed class LarsOptimizer : Optimizer
{
    private readonly SgdSettings _settings;
    private readonly double _trust;

    public LarsOptimizer(SgdSettings settings, double trustCoefficient, IReadOnlyList<ParameterTensor> tensors, int parameterCount) : base(tensors)
    {
        _settings = settings;
        _trust = trustCoefficient;
        Velocity = new float[parameterCount];
    }

    public override float[] Velocity { get; }

    /// <summary>The trust ratio of the last step, per tensor (1 for biases): for reports and tests.</summary>
    public double[] LastTrustRatios { get; private set; } = [];

    public override void Step(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate)
    {
        var momentum = (float)_settings.Momentum;
        var ratios = new double[Tensors.Count];
        for (var t = 0; t < Tensors.Count; t++)
        {
            var tensor = Tensors[t];
            var w = weights.Slice(tensor.Offset, tensor.Length);
            var g = meanGradient.Slice(tensor.Offset, tensor.Length);
            var v = Velocity.AsSpan(tensor.Offset, tensor.Length);
            var decay = tensor.IsBias ? 0f : (float)_settings.WeightDecay;
            ratios[t] = tensor.IsBias ? 1 : TrustRatio(Norm(w), Norm(g), _settings.WeightDecay);
            var rate = (float)(learningRate * ratios[t]);
            for (var i = 0; i < w.Length; i++)
            {
                v[i] = v[i] * momentum + rate * (g[i] + decay * w[i]);
                w[i] -= v[i];
            }
        }
        LastTrustRatios = ratios;
    }

    private double TrustRatio(double weightNorm, double gradientNorm, double decay) =>
        weightNorm > 0 && gradientNorm > 0 ? _trust * weightNorm / (gradientNorm + decay * weightNorm) : 1;

    private static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var x in values) sum += (double)x * x;
        return Math.Sqrt(sum);
    }
}
