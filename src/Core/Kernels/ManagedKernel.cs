using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trainer.Core.Kernels;

/// <summary>
/// A portable GEMM: operands packed row-major, then a register-blocked kernel (4 rows of C by two
/// SIMD vectors of columns) accumulating with fused multiply-add along k in cache-sized blocks.
/// Every element of C is summed in the same order whatever the shape, so results are deterministic.
/// </summary>
public sealed class ManagedKernel : IKernel
{
    private const int KBlock = 256;

    public static ManagedKernel Instance { get; } = new();

    public string Name => "managed";

    /// <summary>Its GEMM sums in one fixed order on 256-bit vectors (emulated where absent); the element-wise code (tanh, sigmoid) follows the vector width.</summary>
    public string Identity => $"managed, {CpuFeatures.VectorWidth}";

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
                     ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                     float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        for (var i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
        if (k == 0 || alpha == 0) return;

        // Pack op(A) as m×k scaled by alpha, and op(B) as k×n, both contiguous row-major.
        var packedA = ArrayPool<float>.Shared.Rent(m * k);
        var packedB = ArrayPool<float>.Shared.Rent(k * n);
        try
        {
            Pack(a, lda, transA, m, k, alpha, packedA);
            Pack(b, ldb, transB, k, n, 1f, packedB);
            for (var p0 = 0; p0 < k; p0 += KBlock)
            {
                var kc = Math.Min(KBlock, k - p0);
                var i = 0;
                for (; i + 4 <= m; i += 4) Rows4(packedA, packedB, c, i, p0, kc, n, k, ldc);
                for (; i < m; i++) Row1(packedA, packedB, c, i, p0, kc, n, k, ldc);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packedA);
            ArrayPool<float>.Shared.Return(packedB);
        }
    }

    private static void Pack(ReadOnlySpan<float> source, int ld, bool transposed, int rows, int cols, float scale, float[] target)
    {
        if (!transposed)
        {
            for (var r = 0; r < rows; r++)
            {
                var dst = target.AsSpan(r * cols, cols);
                source.Slice(r * ld, cols).CopyTo(dst);
                if (scale != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(dst, scale, dst);
            }
            return;
        }
        // source holds the transpose: cols × rows with leading dimension ld.
        for (var cIdx = 0; cIdx < cols; cIdx++)
        {
            var src = source.Slice(cIdx * ld, rows);
            for (var r = 0; r < rows; r++) target[r * cols + cIdx] = src[r] * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(float[] a, float[] b, Span<float> c, int i, int p0, int kc, int n, int k, int ldc)
    {
        ref var a0 = ref a[i * k + p0];
        ref var a1 = ref a[(i + 1) * k + p0];
        ref var a2 = ref a[(i + 2) * k + p0];
        ref var a3 = ref a[(i + 3) * k + p0];
        ref var bBase = ref b[p0 * n];
        ref var c0 = ref c[i * ldc];
        ref var c1 = ref c[(i + 1) * ldc];
        ref var c2 = ref c[(i + 2) * ldc];
        ref var c3 = ref c[(i + 3) * ldc];
        var width = Vector256<float>.Count;
        var j = 0;
        for (; j + 2 * width <= n; j += 2 * width)
        {
            var s00 = Vector256<float>.Zero; var s01 = Vector256<float>.Zero;
            var s10 = Vector256<float>.Zero; var s11 = Vector256<float>.Zero;
            var s20 = Vector256<float>.Zero; var s21 = Vector256<float>.Zero;
            var s30 = Vector256<float>.Zero; var s31 = Vector256<float>.Zero;
            for (var p = 0; p < kc; p++)
            {
                ref var bRow = ref Unsafe.Add(ref bBase, p * n + j);
                var b0 = Vector256.LoadUnsafe(ref bRow);
                var b1 = Vector256.LoadUnsafe(ref bRow, (nuint)width);
                var x0 = Vector256.Create(Unsafe.Add(ref a0, p));
                var x1 = Vector256.Create(Unsafe.Add(ref a1, p));
                var x2 = Vector256.Create(Unsafe.Add(ref a2, p));
                var x3 = Vector256.Create(Unsafe.Add(ref a3, p));
                s00 = Vector256.FusedMultiplyAdd(x0, b0, s00); s01 = Vector256.FusedMultiplyAdd(x0, b1, s01);
                s10 = Vector256.FusedMultiplyAdd(x1, b0, s10); s11 = Vector256.FusedMultiplyAdd(x1, b1, s11);
                s20 = Vector256.FusedMultiplyAdd(x2, b0, s20); s21 = Vector256.FusedMultiplyAdd(x2, b1, s21);
                s30 = Vector256.FusedMultiplyAdd(x3, b0, s30); s31 = Vector256.FusedMultiplyAdd(x3, b1, s31);
            }
            Accumulate(ref c0, j, s00, s01, width);
            Accumulate(ref c1, j, s10, s11, width);
            Accumulate(ref c2, j, s20, s21, width);
            Accumulate(ref c3, j, s30, s31, width);
        }
        for (; j + width <= n; j += width) // one vector of columns left (softmax's 10 outputs)
        {
            var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero; var s2 = Vector256<float>.Zero; var s3 = Vector256<float>.Zero;
            for (var p = 0; p < kc; p++)
            {
                var b0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bBase, p * n + j));
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a0, p)), b0, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a1, p)), b0, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a2, p)), b0, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a3, p)), b0, s3);
            }
            Accumulate(ref c0, j, s0); Accumulate(ref c1, j, s1); Accumulate(ref c2, j, s2); Accumulate(ref c3, j, s3);
        }
        for (; j < n; j++)
        {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (var p = 0; p < kc; p++)
            {
                var bv = Unsafe.Add(ref bBase, p * n + j);
                s0 = MathF.FusedMultiplyAdd(Unsafe.Add(ref a0, p), bv, s0);
                s1 = MathF.FusedMultiplyAdd(Unsafe.Add(ref a1, p), bv, s1);
                s2 = MathF.FusedMultiplyAdd(Unsafe.Add(ref a2, p), bv, s2);
                s3 = MathF.FusedMultiplyAdd(Unsafe.Add(ref a3, p), bv, s3);
            }
            Unsafe.Add(ref c0, j) += s0; Unsafe.Add(ref c1, j) += s1;
            Unsafe.Add(ref c2, j) += s2; Unsafe.Add(ref c3, j) += s3;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1(float[] a, float[] b, Span<float> c, int i, int p0, int kc, int n, int k, int ldc)
    {
        ref var a0 = ref a[i * k + p0];
        ref var bBase = ref b[p0 * n];
        ref var c0 = ref c[i * ldc];
        var width = Vector256<float>.Count;
        var j = 0;
        for (; j + 2 * width <= n; j += 2 * width)
        {
            var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero;
            for (var p = 0; p < kc; p++)
            {
                ref var bRow = ref Unsafe.Add(ref bBase, p * n + j);
                var x = Vector256.Create(Unsafe.Add(ref a0, p));
                s0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bRow), s0);
                s1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bRow, (nuint)width), s1);
            }
            Accumulate(ref c0, j, s0, s1, width);
        }
        for (; j + width <= n; j += width)
        {
            var s0 = Vector256<float>.Zero;
            for (var p = 0; p < kc; p++)
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a0, p)), Vector256.LoadUnsafe(ref Unsafe.Add(ref bBase, p * n + j)), s0);
            Accumulate(ref c0, j, s0);
        }
        for (; j < n; j++)
        {
            float s = 0;
            for (var p = 0; p < kc; p++) s = MathF.FusedMultiplyAdd(Unsafe.Add(ref a0, p), Unsafe.Add(ref bBase, p * n + j), s);
            Unsafe.Add(ref c0, j) += s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref float row, int j, Vector256<float> s0)
    {
        ref var target = ref Unsafe.Add(ref row, j);
        (Vector256.LoadUnsafe(ref target) + s0).StoreUnsafe(ref target);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref float row, int j, Vector256<float> s0, Vector256<float> s1, int width)
    {
        ref var target = ref Unsafe.Add(ref row, j);
        (Vector256.LoadUnsafe(ref target) + s0).StoreUnsafe(ref target);
        (Vector256.LoadUnsafe(ref target, (nuint)width) + s1).StoreUnsafe(ref target, (nuint)width);
    }
}
