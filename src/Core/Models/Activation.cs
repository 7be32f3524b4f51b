using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Trainer.Core.Models;

/// <summary>Hidden-layer activations, forward and backward, vectorised.</summary>
public static class Activation
{
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
