using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Trainer.Core.Models;

/// <summary>Hidden-layer activations, forward and backward, vectorised.</summary>
public static class Activation
{
    /// <summary>
    /// z ← z + bias on every row, and a = f(z): fused into one pass over each row for ReLU, the
    /// hidden activation of every default model (the row stays in L1 between the two).
    /// </summary>
    public static void ForwardWithBias(string activation, Span<float> z, ReadOnlySpan<float> bias, Span<float> a)
    {
        var width = bias.Length;
        for (var row = 0; row < z.Length; row += width)
        {
            var zr = z.Slice(row, width);
            var ar = a.Slice(row, width);
            if (activation == "relu") BiasRelu(zr, bias, ar);
            else
            {
                TensorPrimitives.Add(zr, bias, zr);
                Forward(activation, zr, ar);
            }
        }
    }

    public static void Forward(string activation, ReadOnlySpan<float> z, Span<float> a)
    {
        switch (activation)
        {
            case "relu": TensorPrimitives.Max(z, 0f, a); break;
            case "tanh": TensorPrimitives.Tanh(z, a); break;
            case "sigmoid": TensorPrimitives.Sigmoid(z, a); break;
            default: throw new ArgumentException($"unknown activation {activation}");
        }
    }

    /// <summary>dZ = dA ⊙ f′(z), with f′ written through the activation's output a where that is cheaper.</summary>
    public static void Backward(string activation, ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> dA, Span<float> dZ)
    {
        switch (activation)
        {
            case "relu": ReluBackward(z, dA, dZ); break;
            case "tanh":
                // 1 − a²
                TensorPrimitives.Multiply(a, a, dZ);
                TensorPrimitives.Subtract(1f, dZ, dZ);
                TensorPrimitives.Multiply(dZ, dA, dZ);
                break;
            case "sigmoid":
                // a (1 − a)
                TensorPrimitives.Subtract(1f, a, dZ);
                TensorPrimitives.Multiply(dZ, a, dZ);
                TensorPrimitives.Multiply(dZ, dA, dZ);
                break;
            default: throw new ArgumentException($"unknown activation {activation}");
        }
    }

    private static void BiasRelu(Span<float> z, ReadOnlySpan<float> bias, Span<float> a)
    {
        var i = 0;
        var width = Vector256<float>.Count;
        for (; i + width <= z.Length; i += width)
        {
            var zi = Vector256.Create(z.Slice(i, width)) + Vector256.Create(bias.Slice(i, width));
            zi.CopyTo(z.Slice(i, width));
            Vector256.Max(zi, Vector256<float>.Zero).CopyTo(a.Slice(i, width));
        }
        for (; i < z.Length; i++)
        {
            z[i] += bias[i];
            a[i] = Math.Max(z[i], 0f);
        }
    }

    private static void ReluBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> dA, Span<float> dZ)
    {
        var i = 0;
        var width = Vector256<float>.Count;
        for (; i + width <= z.Length; i += width)
        {
            var positive = Vector256.GreaterThan(Vector256.Create(z.Slice(i, width)), Vector256<float>.Zero);
            Vector256.ConditionalSelect(positive, Vector256.Create(dA.Slice(i, width)), Vector256<float>.Zero).CopyTo(dZ.Slice(i, width));
        }
        for (; i < z.Length; i++) dZ[i] = z[i] > 0 ? dA[i] : 0f;
    }
}
