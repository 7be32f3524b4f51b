using System.Numerics.Tensors;
using Trainer.Core.Models;

namespace Trainer.Core.Optim;

/// <summary>Hyper-parameters of SGD: momentum μ (0 = plain SGD), Nesterov, and L2 weight decay λ on weights (not biases).</summary>
public sealed record SgdSettings(double Momentum = 0, bool Nesterov = false, double WeightDecay = 0);

/// <summary>
/// Mini-batch SGD as PyTorch defines it: g ← ∇ + λw; v ← μv + g; w ← w − η·(Nesterov ? g + μv : v).
/// Weight decay applies to weight tensors only (structural risk on w, as the textbooks write it).
/// The state (velocity) is part of what a checkpoint must keep.
/// </summary>
public sealed class SgdOptimizer
{
    private readonly IReadOnlyList<ParameterTensor> _tensors;
    private readonly float[] _scratch;

    public SgdOptimizer(SgdSettings settings, IReadOnlyList<ParameterTensor> tensors, int parameterCount)
    {
        Settings = settings;
        _tensors = tensors;
        Velocity = settings.Momentum > 0 ? new float[parameterCount] : [];
        _scratch = new float[tensors.Max(t => t.Length)];
    }

    public SgdSettings Settings { get; }
    public float[] Velocity { get; }

    /// <summary>Applies one update with the mean gradient of a step.</summary>
    public void Step(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate)
    {
        var lr = (float)learningRate;
        var mu = (float)Settings.Momentum;
        var decay = (float)Settings.WeightDecay;
        foreach (var tensor in _tensors)
        {
            var w = weights.Slice(tensor.Offset, tensor.Length);
            var g = _scratch.AsSpan(0, tensor.Length);
            if (decay != 0 && !tensor.IsBias) TensorPrimitives.MultiplyAdd(w, decay, meanGradient.Slice(tensor.Offset, tensor.Length), g);
            else meanGradient.Slice(tensor.Offset, tensor.Length).CopyTo(g);

            if (mu != 0)
            {
                var v = Velocity.AsSpan(tensor.Offset, tensor.Length);
                TensorPrimitives.MultiplyAdd(v, mu, g, v);            // v = μv + g
                if (Settings.Nesterov) TensorPrimitives.MultiplyAdd(v, mu, g, g); // g = g + μv
                else v.CopyTo(g);
            }
            TensorPrimitives.MultiplyAdd(g, -lr, w, w);                // w = w − η·d
        }
    }
}
