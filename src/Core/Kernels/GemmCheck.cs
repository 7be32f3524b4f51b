using Trainer.Core.Random;

namespace Trainer.Core.Kernels;

/// <summary>
/// A kernel's self-check: GEMMs of the shapes and transpositions a training step uses (forward
/// x·Wᵀ, the weight gradient dZᵀ·x, the backward dZ·W; odd sizes, α and β) against the same
/// products in double precision. A kernel whose error exceeds float32's rounding over the sum's
/// length computes wrongly (a broken core type, a bad build) and is not used.
/// </summary>
public static class GemmCheck
{
    private static readonly (bool TransA, bool TransB, int M, int N, int K, float Alpha, float Beta)[] Cases =
    [
        (false, true, 33, 257, 785, 1f, 0f),  // forward: x (rows × inputs) · Wᵀ
        (true, false, 257, 785, 33, 1f, 0f),  // the weight gradient dZᵀ · x
        (false, false, 33, 785, 257, 1f, 0f), // backward: dZ · W
        (false, false, 7, 10, 256, 0.5f, 1f), // small, with α and β
        (true, true, 17, 19, 23, -1f, 0.25f),
    ];

    /// <summary>Null when every case is within tolerance; otherwise what failed.</summary>
    public static string? Run(IKernel kernel)
    {
        var rng = new Rng(20261201);
        foreach (var (transA, transB, m, n, k, alpha, beta) in Cases)
        {
            var a = Values(rng, m * k);
            var b = Values(rng, k * n);
            var c = Values(rng, m * n);
            var expected = new double[m * n];
            var bound = new double[m * n];
            for (var i = 0; i < m; i++)
                for (var j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (var p = 0; p < k; p++)
                    {
                        var product = (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                        sum += product;
                        magnitude += Math.Abs(product);
                    }
                    expected[i * n + j] = alpha * sum + beta * c[i * n + j];
                    // float32 rounding over a sum of k terms stays within k·u of its magnitude (u = 2⁻²⁴), with room to spare
                    bound[i * n + j] = 4.0 * (k + 2) * Math.Pow(2, -24) * (Math.Abs(alpha) * magnitude + Math.Abs(beta * c[i * n + j])) + 1e-6;
                }
            var got = (float[])c.Clone();
            kernel.Gemm(transA, transB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, got, n);
            for (var i = 0; i < expected.Length; i++)
                if (!float.IsFinite(got[i]) || Math.Abs(got[i] - expected[i]) > bound[i])
                    return $"{(transA ? "Aᵀ" : "A")}·{(transB ? "Bᵀ" : "B")} {m}×{n}×{k}: element {i} is {got[i]}, the double-precision product {expected[i]:G9}";
        }
        return null;
    }

    private static float[] Values(Rng rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }
}
