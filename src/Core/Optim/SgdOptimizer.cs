using System.Runtime.Intrinsics;
using Trainer.Core.Models;

namespace Trainer.Core.Optim;

/// <summary>Hyper-parameters of SGD: momentum μ (0 = plain SGD), Nesterov, and L2 weight decay λ on weights (not biases).</summary>
public sealed record SgdSettings(double Momentum = 0, bool Nesterov = false, double WeightDecay = 0);

/// <summary>
/// Mini-batch SGD as PyTorch defines it: g ← ∇ + λw; v ← μv + g; w ← w − η·(Nesterov ? g + μv : v).
/// Weight decay applies to weight tensors only (structural risk on w, as the textbooks write it).
/// The state (velocity) is part of what a checkpoint must keep.
/// </summary>
public sealed class SgdOptimizer : Optimizer
{
    public SgdOptimizer(SgdSettings settings, IReadOnlyList<ParameterTensor> tensors, int parameterCount)
        : this(settings, tensors, settings.Momentum > 0 ? new float[parameterCount] : []) { }

    /// <param name="velocity">The velocity to update in place (empty without momentum).</param>
    public SgdOptimizer(SgdSettings settings, IReadOnlyList<ParameterTensor> tensors, float[] velocity) : base(tensors)
    {
        Settings = settings;
        Velocity = velocity;
    }

    public SgdSettings Settings { get; }
    public override float[] Velocity { get; }

    /// <summary>
    /// Applies one update with the mean gradient of a step: one pass over the parameters, each
    /// element through the same non-fused multiplies and adds in the same order as the formula above.
    /// </summary>
    public override void Step(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate)
    {
        var lr = -(float)learningRate;
        var mu = (float)Settings.Momentum;
        foreach (var tensor in Tensors)
        {
            var decay = tensor.IsBias ? 0f : (float)Settings.WeightDecay;
            var w = weights.Slice(tensor.Offset, tensor.Length);
            var g = meanGradient.Slice(tensor.Offset, tensor.Length);
            Update(w, g, mu != 0 ? Velocity.AsSpan(tensor.Offset, tensor.Length) : [], decay, mu, lr, Settings.Nesterov);
        }
    }

    public override bool ElementWise => true;

    /// <summary>The same arithmetic on the tensors' parts inside [start, start + length).</summary>
    public override void StepRange(Span<float> weights, ReadOnlySpan<float> meanGradient, double learningRate, int start, int length)
    {
        var lr = -(float)learningRate;
        var mu = (float)Settings.Momentum;
        var end = start + length;
        foreach (var tensor in Tensors)
        {
            var (from, to) = (Math.Max(start, tensor.Offset), Math.Min(end, tensor.Offset + tensor.Length));
            if (from >= to) continue;
            var decay = tensor.IsBias ? 0f : (float)Settings.WeightDecay;
            Update(weights[from..to], meanGradient[from..to], mu != 0 ? Velocity.AsSpan(from, to - from) : [], decay, mu, lr, Settings.Nesterov);
        }
    }

    /// <summary>One tensor's step; <paramref name="v"/> is empty without momentum (μ = 0).</summary>
    private static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> v, float decay, float mu, float lr, bool nesterov)
    {
        var momentum = mu != 0;
        var (i, n) = (0, Vector256<float>.Count);
        if (Vector256.IsHardwareAccelerated)
            for (; i + n <= w.Length; i += n)
            {
                var wi = Vector256.Create(w.Slice(i, n));
                var gi = Vector256.Create(g.Slice(i, n));
                if (decay != 0) gi = wi * decay + gi;
                var step = gi;
                if (momentum)
                {
                    var vi = Vector256.Create(v.Slice(i, n)) * mu + gi;
                    vi.CopyTo(v.Slice(i, n));
                    step = nesterov ? vi * mu + gi : vi;
                }
                (step * lr + wi).CopyTo(w.Slice(i, n));
            }
        for (; i < w.Length; i++)
        {
            var gi = decay != 0 ? w[i] * decay + g[i] : g[i];
            var step = gi;
            if (momentum)
            {
                v[i] = v[i] * mu + gi;
                step = nesterov ? v[i] * mu + gi : v[i];
            }
            w[i] = step * lr + w[i];
        }
    }
}
