using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trainer.Core.Kernels;

/// <summary>
/// A dense layer's forward product C = A·Bᵀ (A rows × k, B columns × k, both row-major with k
/// contiguous: the inputs and the weights as the model stores them), as dot products on sixteen lanes:
/// lane j adds the products of k = j, j + 16, … by fused multiply-add, the lanes are added in one
/// fixed tree, then the last k mod 16 products. An element depends on its row of A and its row of B
/// alone, never on how many rows share the call, and is the same on 512-bit and 256-bit vectors (two
/// halves of sixteen lanes) and on any thread count. Tiles of 4 rows by 4 columns keep sixteen
/// accumulators in registers, and no operand is packed: a call of 32 rows costs what a share of one
/// call of 256 would (OpenBLAS packed the weights again for every partition's call).
/// </summary>
public static class DotGemm
{
    private const int Lanes = 16, Tile = 4;

    /// <summary>C (rows × columns, leading dimension <paramref name="ldc"/>) = A·Bᵀ.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int rows, int columns, int k, int ldc)
    {
        if (rows == 0 || columns == 0) return;
        if (a.Length < rows * k || b.Length < columns * k || c.Length < (rows - 1) * ldc + columns) throw new ArgumentException("operands smaller than their shapes");
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        for (var j = 0; j < columns; j += Tile)
            for (var i = 0; i < rows; i += Tile)
                Tile4x4(ref a0, ref b0, ref c0, i, j, Math.Min(Tile, rows - i), Math.Min(Tile, columns - j), k, ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(ref float a, ref float b, ref float c, int i, int j, int rows, int columns, int k, int ldc)
    {
        // rows and columns past the matrix repeat its last one and are not written
        Span<int> ar = [i * k, (i + Math.Min(1, rows - 1)) * k, (i + Math.Min(2, rows - 1)) * k, (i + Math.Min(3, rows - 1)) * k];
        Span<int> bs = [j * k, (j + Math.Min(1, columns - 1)) * k, (j + Math.Min(2, columns - 1)) * k, (j + Math.Min(3, columns - 1)) * k];
        var whole = k - k % Lanes;
        Span<float> sums = stackalloc float[Tile * Tile];
        if (Vector512.IsHardwareAccelerated) Lanes512(ref a, ref b, ar, bs, whole, sums);
        else Lanes256(ref a, ref b, ar, bs, whole, sums);
        for (var r = 0; r < rows; r++)
            for (var t = 0; t < columns; t++)
            {
                var sum = sums[r * Tile + t];
                for (var p = whole; p < k; p++) sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, ar[r] + p), Unsafe.Add(ref b, bs[t] + p), sum);
                Unsafe.Add(ref c, (i + r) * ldc + j + t) = sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lanes512(ref float a, ref float b, ReadOnlySpan<int> ar, ReadOnlySpan<int> bs, int whole, Span<float> sums)
    {
        ref var a0 = ref Unsafe.Add(ref a, ar[0]); ref var a1 = ref Unsafe.Add(ref a, ar[1]); ref var a2 = ref Unsafe.Add(ref a, ar[2]); ref var a3 = ref Unsafe.Add(ref a, ar[3]);
        ref var b0 = ref Unsafe.Add(ref b, bs[0]); ref var b1 = ref Unsafe.Add(ref b, bs[1]); ref var b2 = ref Unsafe.Add(ref b, bs[2]); ref var b3 = ref Unsafe.Add(ref b, bs[3]);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default,
            s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        for (var p = 0; p < whole; p += Lanes)
        {
            var y0 = Vector512.LoadUnsafe(ref b0, (nuint)p); var y1 = Vector512.LoadUnsafe(ref b1, (nuint)p);
            var y2 = Vector512.LoadUnsafe(ref b2, (nuint)p); var y3 = Vector512.LoadUnsafe(ref b3, (nuint)p);
            var x = Vector512.LoadUnsafe(ref a0, (nuint)p);
            s00 = Vector512.FusedMultiplyAdd(x, y0, s00); s01 = Vector512.FusedMultiplyAdd(x, y1, s01); s02 = Vector512.FusedMultiplyAdd(x, y2, s02); s03 = Vector512.FusedMultiplyAdd(x, y3, s03);
            x = Vector512.LoadUnsafe(ref a1, (nuint)p);
            s10 = Vector512.FusedMultiplyAdd(x, y0, s10); s11 = Vector512.FusedMultiplyAdd(x, y1, s11); s12 = Vector512.FusedMultiplyAdd(x, y2, s12); s13 = Vector512.FusedMultiplyAdd(x, y3, s13);
            x = Vector512.LoadUnsafe(ref a2, (nuint)p);
            s20 = Vector512.FusedMultiplyAdd(x, y0, s20); s21 = Vector512.FusedMultiplyAdd(x, y1, s21); s22 = Vector512.FusedMultiplyAdd(x, y2, s22); s23 = Vector512.FusedMultiplyAdd(x, y3, s23);
            x = Vector512.LoadUnsafe(ref a3, (nuint)p);
            s30 = Vector512.FusedMultiplyAdd(x, y0, s30); s31 = Vector512.FusedMultiplyAdd(x, y1, s31); s32 = Vector512.FusedMultiplyAdd(x, y2, s32); s33 = Vector512.FusedMultiplyAdd(x, y3, s33);
        }
        sums[0] = Sum(s00); sums[1] = Sum(s01); sums[2] = Sum(s02); sums[3] = Sum(s03);
        sums[4] = Sum(s10); sums[5] = Sum(s11); sums[6] = Sum(s12); sums[7] = Sum(s13);
        sums[8] = Sum(s20); sums[9] = Sum(s21); sums[10] = Sum(s22); sums[11] = Sum(s23);
        sums[12] = Sum(s30); sums[13] = Sum(s31); sums[14] = Sum(s32); sums[15] = Sum(s33);
    }

    /// <summary>Sixteen lanes as two 256-bit halves: the same products and the same additions as <see cref="Lanes512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lanes256(ref float a, ref float b, ReadOnlySpan<int> ar, ReadOnlySpan<int> bs, int whole, Span<float> sums)
    {
        for (var r = 0; r < Tile; r++)
            for (var t = 0; t < Tile; t++)
            {
                ref var x = ref Unsafe.Add(ref a, ar[r]);
                ref var y = ref Unsafe.Add(ref b, bs[t]);
                Vector256<float> low = default, high = default;
                for (var p = 0; p < whole; p += Lanes)
                {
                    low = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)p), Vector256.LoadUnsafe(ref y, (nuint)p), low);
                    high = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(p + 8)), Vector256.LoadUnsafe(ref y, (nuint)(p + 8)), high);
                }
                sums[r * Tile + t] = Sum(low + high);
            }
    }

    /// <summary>Lanes j and j + 8 first, then j and j + 4, j + 2, j + 1: the tree <see cref="Lanes256"/> continues from its halves' sum.</summary>
    private static float Sum(Vector512<float> v) => Sum(v.GetLower() + v.GetUpper());

    private static float Sum(Vector256<float> v)
    {
        var q = v.GetLower() + v.GetUpper();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }
}
