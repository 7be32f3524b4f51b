using Trainer.Core.Kernels;
using Trainer.Core.Random;

namespace Trainer.Core.Tests.Kernels;

public sealed class GemmTests
{
    public static TheoryData<string, bool, bool, int, int, int> Shapes()
    {
        var data = new TheoryData<string, bool, bool, int, int, int>();
        foreach (var kernel in new[] { "managed", "openblas" })
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
                foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 19, 5), (33, 40, 300), (4, 16, 1), (256, 10, 784) })
                    data.Add(kernel, ta, tb, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_matches_a_double_precision_triple_loop(string kernelName, bool transA, bool transB, int m, int n, int k)
    {
        var kernel = KernelsUnderTest.Get(kernelName);
        var rng = new Rng(3);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextGaussian()).ToArray();
        var (lda, ldb, ldc) = (transA ? m : k, transB ? k : n, n + 3); // ldc wider than n: only n columns may change
        var a = Random(transA ? k * m : m * k);
        var b = Random(transB ? n * k : k * n);
        var c = Random(m * ldc);
        var expected = (float[])c.Clone();
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = (float)(1.5 * sum + 0.5 * c[i * ldc + j]);
            }

        kernel.Gemm(transA, transB, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);

        for (var i = 0; i < c.Length; i++)
            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Sqrt(k)) * (1 + Math.Abs(expected[i])), $"element {i}: {c[i]} vs {expected[i]}");
    }

    [Fact]
    public void Beta_zero_ignores_what_was_in_c_even_if_not_finite()
    {
        var c = new[] { float.NaN, float.PositiveInfinity };
        ManagedKernel.Instance.Gemm(false, false, 1, 2, 1, 1f, [2f], 1, [3f, 4f], 2, 0f, c, 2);
        Assert.Equal([6f, 8f], c);
    }
}
