using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trainer.Core.Kernels;

/// <summary>
/// The tiles: 4 output rows by 64 columns (sixteen 512-bit accumulators), 32 (sixteen 256-bit), 8 and 1,
/// each element the FMA chain over a partition's rows in row order. Rows of a tile past the layer's
/// outputs repeat its last one and are neither written nor counted.
/// </summary>
public static partial class TreeGemm
{
    private const int TileRows = 4, WideColumns = 64, TileFloats = TileRows * WideColumns;

    /// <summary>B operands up to this size (all rows × inputs) stay in a core's L2 cache while it is read once per tile.</summary>
    private const long CachedBytes = 1 << 20;

    /// <summary>
    /// Outputs [first, last) by tiles. When the B operands fit in cache, tile by tile (each tile's A
    /// columns stay in L1 across the column panels); when they do not, column panel by panel, so that
    /// a panel (rows × 64 inputs) serves every tile of the task while it is cached, where tile by tile
    /// streamed all of B from memory once per four outputs (at 2048 rows, 6.4 MB for each). Both orders
    /// give the same bits: every element is its own FMA chain, and a partition's norm adds its tiles'
    /// panel sums in panel order, then the tiles in output order.
    /// </summary>
    private static void Tiles(IReadOnlyList<Part> parts, int outputs, int inputs, IReadOnlyList<(int Start, int Count)> blocks,
        IReadOnlyList<float[]> outputsByBlock, int offset, int first, int last, float[] stack, Span<double> norms)
    {
        var tiles = (last - first + TileRows - 1) / TileRows;
        Span<double> tileNorms = stackalloc double[tiles * parts.Count];
        tileNorms.Clear();
        long bytes = 0;
        foreach (var part in parts) bytes += (long)part.Rows * inputs * sizeof(float);
        if (bytes <= CachedBytes)
            for (var k = 0; k < tiles; k++)
                for (var column = 0; column < inputs;)
                    column += Panel(parts, outputs, inputs, blocks, outputsByBlock, offset, first + k * TileRows, last, column, stack, tileNorms.Slice(k * parts.Count, parts.Count));
        else
            for (var column = 0; column < inputs;)
            {
                var width = 0;
                for (var k = 0; k < tiles; k++)
                    width = Panel(parts, outputs, inputs, blocks, outputsByBlock, offset, first + k * TileRows, last, column, stack, tileNorms.Slice(k * parts.Count, parts.Count));
                column += width;
            }
        for (var k = 0; k < tiles; k++)
            for (var p = 0; p < parts.Count; p++) norms[p] += tileNorms[k * parts.Count + p];
    }

    /// <summary>One tile (outputs o to o + 3) over one column panel for every block; returns the panel's width.</summary>
    private static int Panel(IReadOnlyList<Part> parts, int outputs, int inputs, IReadOnlyList<(int Start, int Count)> blocks,
        IReadOnlyList<float[]> outputsByBlock, int offset, int o, int last, int column, float[] stack, Span<double> norms)
    {
        Span<int> sizes = stackalloc int[stack.Length / TileFloats];
        var rows = Math.Min(TileRows, last - o);
        var width = inputs - column >= 64 && Vector512.IsHardwareAccelerated ? 64 : inputs - column >= 32 ? 32 : inputs - column >= 8 ? 8 : 1;
        var floats = TileRows * width;
        for (var b = 0; b < blocks.Count; b++)
        {
            var (start, count) = blocks[b];
            if (width == 64)
            {
                Block64(parts, start, count, outputs, inputs, o, rows, column, stack, sizes, norms, outputsByBlock[b].AsSpan(offset));
                continue;
            }
            var depth = 0;
            for (var p = start; p < start + count; p++)
            {
                var top = depth;
                var tile = stack.AsSpan(top * TileFloats, floats);
                var part = parts[p];
                switch (width)
                {
                    case 32: Tile32(part, outputs, inputs, o, rows, column, tile); break;
                    case 8: Tile8(part, outputs, inputs, o, rows, column, tile); break;
                    default: Tile1(part, outputs, inputs, o, rows, column, tile); break;
                }
                norms[p] += TensorPrimitives.SumOfSquares(tile[..(rows * width)]);
                var size = 1;
                while (top > 0 && sizes[top - 1] == size)
                {
                    var left = stack.AsSpan((top - 1) * TileFloats, floats);
                    TensorPrimitives.Add(left, stack.AsSpan(top * TileFloats, floats), left);
                    top--;
                    size *= 2;
                }
                sizes[top] = size;
                depth = top + 1;
            }
            var output = outputsByBlock[b].AsSpan(offset);
            for (var r = 0; r < rows; r++) stack.AsSpan(r * width, width).CopyTo(output.Slice((o + r) * inputs + column, width));
        }
        return width;
    }

    /// <summary>The A operand's columns of a tile's rows: o, o+1, … with rows past the layer's outputs repeating the last.</summary>
    private static (int, int, int, int) Columns(int o, int rows) => (o, o + Math.Min(1, rows - 1), o + Math.Min(2, rows - 1), o + Math.Min(3, rows - 1));

    /// <summary>
    /// A whole block's 4 × 64 tile: each partition's rows into sixteen 512-bit accumulators, its norm
    /// taken there, the tree's pending left operands on <paramref name="stack"/> (added to the
    /// accumulators as they complete a pair), and the block's sum written once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block64(IReadOnlyList<Part> parts, int start, int count, int outputs, int inputs, int o, int rows, int column,
        float[] stack, Span<int> sizes, Span<double> norms, Span<float> output)
    {
        var (c0, c1, c2, c3) = Columns(o, rows);
        var depth = 0;
        for (var p = start; p < start + count; p++)
        {
            var part = parts[p];
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default,
                s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
            ref var a = ref MemoryMarshal.GetArrayDataReference(part.A);
            ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(part.B), column);
            for (var r = 0; r < part.Rows; r++, a = ref Unsafe.Add(ref a, outputs), b = ref Unsafe.Add(ref b, inputs))
            {
                var b0 = Vector512.LoadUnsafe(ref b); var b1 = Vector512.LoadUnsafe(ref b, 16);
                var b2 = Vector512.LoadUnsafe(ref b, 32); var b3 = Vector512.LoadUnsafe(ref b, 48);
                var x = Vector512.Create(Unsafe.Add(ref a, c0));
                s00 = Vector512.FusedMultiplyAdd(x, b0, s00); s01 = Vector512.FusedMultiplyAdd(x, b1, s01); s02 = Vector512.FusedMultiplyAdd(x, b2, s02); s03 = Vector512.FusedMultiplyAdd(x, b3, s03);
                x = Vector512.Create(Unsafe.Add(ref a, c1));
                s10 = Vector512.FusedMultiplyAdd(x, b0, s10); s11 = Vector512.FusedMultiplyAdd(x, b1, s11); s12 = Vector512.FusedMultiplyAdd(x, b2, s12); s13 = Vector512.FusedMultiplyAdd(x, b3, s13);
                x = Vector512.Create(Unsafe.Add(ref a, c2));
                s20 = Vector512.FusedMultiplyAdd(x, b0, s20); s21 = Vector512.FusedMultiplyAdd(x, b1, s21); s22 = Vector512.FusedMultiplyAdd(x, b2, s22); s23 = Vector512.FusedMultiplyAdd(x, b3, s23);
                x = Vector512.Create(Unsafe.Add(ref a, c3));
                s30 = Vector512.FusedMultiplyAdd(x, b0, s30); s31 = Vector512.FusedMultiplyAdd(x, b1, s31); s32 = Vector512.FusedMultiplyAdd(x, b2, s32); s33 = Vector512.FusedMultiplyAdd(x, b3, s33);
            }
            // the partition's own squared norm, over the tile's rows that are the layer's
            var square = s00 * s00 + s01 * s01 + s02 * s02 + s03 * s03;
            if (rows > 1) square += s10 * s10 + s11 * s11 + s12 * s12 + s13 * s13;
            if (rows > 2) square += s20 * s20 + s21 * s21 + s22 * s22 + s23 * s23;
            if (rows > 3) square += s30 * s30 + s31 * s31 + s32 * s32 + s33 * s33;
            norms[p] += Vector512.Sum(square);

            var size = 1;
            while (depth > 0 && sizes[depth - 1] == size)
            {
                ref var left = ref stack[(depth - 1) * TileFloats];
                s00 += Vector512.LoadUnsafe(ref left, 0); s01 += Vector512.LoadUnsafe(ref left, 16); s02 += Vector512.LoadUnsafe(ref left, 32); s03 += Vector512.LoadUnsafe(ref left, 48);
                s10 += Vector512.LoadUnsafe(ref left, 64); s11 += Vector512.LoadUnsafe(ref left, 80); s12 += Vector512.LoadUnsafe(ref left, 96); s13 += Vector512.LoadUnsafe(ref left, 112);
                s20 += Vector512.LoadUnsafe(ref left, 128); s21 += Vector512.LoadUnsafe(ref left, 144); s22 += Vector512.LoadUnsafe(ref left, 160); s23 += Vector512.LoadUnsafe(ref left, 176);
                s30 += Vector512.LoadUnsafe(ref left, 192); s31 += Vector512.LoadUnsafe(ref left, 208); s32 += Vector512.LoadUnsafe(ref left, 224); s33 += Vector512.LoadUnsafe(ref left, 240);
                depth--;
                size *= 2;
            }
            if (p == start + count - 1)
            {
                ref var c = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), o * inputs + column);
                s00.StoreUnsafe(ref c, 0); s01.StoreUnsafe(ref c, 16); s02.StoreUnsafe(ref c, 32); s03.StoreUnsafe(ref c, 48);
                if (rows < 2) return;
                c = ref Unsafe.Add(ref c, inputs);
                s10.StoreUnsafe(ref c, 0); s11.StoreUnsafe(ref c, 16); s12.StoreUnsafe(ref c, 32); s13.StoreUnsafe(ref c, 48);
                if (rows < 3) return;
                c = ref Unsafe.Add(ref c, inputs);
                s20.StoreUnsafe(ref c, 0); s21.StoreUnsafe(ref c, 16); s22.StoreUnsafe(ref c, 32); s23.StoreUnsafe(ref c, 48);
                if (rows < 4) return;
                c = ref Unsafe.Add(ref c, inputs);
                s30.StoreUnsafe(ref c, 0); s31.StoreUnsafe(ref c, 16); s32.StoreUnsafe(ref c, 32); s33.StoreUnsafe(ref c, 48);
                return;
            }
            ref var t = ref stack[depth * TileFloats];
            s00.StoreUnsafe(ref t, 0); s01.StoreUnsafe(ref t, 16); s02.StoreUnsafe(ref t, 32); s03.StoreUnsafe(ref t, 48);
            s10.StoreUnsafe(ref t, 64); s11.StoreUnsafe(ref t, 80); s12.StoreUnsafe(ref t, 96); s13.StoreUnsafe(ref t, 112);
            s20.StoreUnsafe(ref t, 128); s21.StoreUnsafe(ref t, 144); s22.StoreUnsafe(ref t, 160); s23.StoreUnsafe(ref t, 176);
            s30.StoreUnsafe(ref t, 192); s31.StoreUnsafe(ref t, 208); s32.StoreUnsafe(ref t, 224); s33.StoreUnsafe(ref t, 240);
            sizes[depth++] = size;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile32(Part part, int outputs, int inputs, int o, int rows, int column, Span<float> tile)
    {
        var (c0, c1, c2, c3) = Columns(o, rows);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default,
            s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        ref var a = ref MemoryMarshal.GetArrayDataReference(part.A);
        ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(part.B), column);
        for (var r = 0; r < part.Rows; r++, a = ref Unsafe.Add(ref a, outputs), b = ref Unsafe.Add(ref b, inputs))
        {
            var b0 = Vector256.LoadUnsafe(ref b); var b1 = Vector256.LoadUnsafe(ref b, 8);
            var b2 = Vector256.LoadUnsafe(ref b, 16); var b3 = Vector256.LoadUnsafe(ref b, 24);
            var x = Vector256.Create(Unsafe.Add(ref a, c0));
            s00 = Vector256.FusedMultiplyAdd(x, b0, s00); s01 = Vector256.FusedMultiplyAdd(x, b1, s01); s02 = Vector256.FusedMultiplyAdd(x, b2, s02); s03 = Vector256.FusedMultiplyAdd(x, b3, s03);
            x = Vector256.Create(Unsafe.Add(ref a, c1));
            s10 = Vector256.FusedMultiplyAdd(x, b0, s10); s11 = Vector256.FusedMultiplyAdd(x, b1, s11); s12 = Vector256.FusedMultiplyAdd(x, b2, s12); s13 = Vector256.FusedMultiplyAdd(x, b3, s13);
            x = Vector256.Create(Unsafe.Add(ref a, c2));
            s20 = Vector256.FusedMultiplyAdd(x, b0, s20); s21 = Vector256.FusedMultiplyAdd(x, b1, s21); s22 = Vector256.FusedMultiplyAdd(x, b2, s22); s23 = Vector256.FusedMultiplyAdd(x, b3, s23);
            x = Vector256.Create(Unsafe.Add(ref a, c3));
            s30 = Vector256.FusedMultiplyAdd(x, b0, s30); s31 = Vector256.FusedMultiplyAdd(x, b1, s31); s32 = Vector256.FusedMultiplyAdd(x, b2, s32); s33 = Vector256.FusedMultiplyAdd(x, b3, s33);
        }
        ref var t = ref MemoryMarshal.GetReference(tile);
        s00.StoreUnsafe(ref t, 0); s01.StoreUnsafe(ref t, 8); s02.StoreUnsafe(ref t, 16); s03.StoreUnsafe(ref t, 24);
        s10.StoreUnsafe(ref t, 32); s11.StoreUnsafe(ref t, 40); s12.StoreUnsafe(ref t, 48); s13.StoreUnsafe(ref t, 56);
        s20.StoreUnsafe(ref t, 64); s21.StoreUnsafe(ref t, 72); s22.StoreUnsafe(ref t, 80); s23.StoreUnsafe(ref t, 88);
        s30.StoreUnsafe(ref t, 96); s31.StoreUnsafe(ref t, 104); s32.StoreUnsafe(ref t, 112); s33.StoreUnsafe(ref t, 120);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8(Part part, int outputs, int inputs, int o, int rows, int column, Span<float> tile)
    {
        var (c0, c1, c2, c3) = Columns(o, rows);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        ref var a = ref MemoryMarshal.GetArrayDataReference(part.A);
        ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(part.B), column);
        for (var r = 0; r < part.Rows; r++, a = ref Unsafe.Add(ref a, outputs), b = ref Unsafe.Add(ref b, inputs))
        {
            var b0 = Vector256.LoadUnsafe(ref b);
            s0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, c0)), b0, s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, c1)), b0, s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, c2)), b0, s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, c3)), b0, s3);
        }
        ref var t = ref MemoryMarshal.GetReference(tile);
        s0.StoreUnsafe(ref t, 0); s1.StoreUnsafe(ref t, 8); s2.StoreUnsafe(ref t, 16); s3.StoreUnsafe(ref t, 24);
    }

    private static void Tile1(Part part, int outputs, int inputs, int o, int rows, int column, Span<float> tile)
    {
        var (c0, c1, c2, c3) = Columns(o, rows);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var (a, b) = (part.A, part.B);
        for (var r = 0; r < part.Rows; r++)
        {
            var x = b[r * inputs + column];
            s0 = MathF.FusedMultiplyAdd(a[r * outputs + c0], x, s0);
            s1 = MathF.FusedMultiplyAdd(a[r * outputs + c1], x, s1);
            s2 = MathF.FusedMultiplyAdd(a[r * outputs + c2], x, s2);
            s3 = MathF.FusedMultiplyAdd(a[r * outputs + c3], x, s3);
        }
        (tile[0], tile[1], tile[2], tile[3]) = (s0, s1, s2, s3);
    }
}
