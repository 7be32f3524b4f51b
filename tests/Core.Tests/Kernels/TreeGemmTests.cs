using Trainer.Core.Kernels;
using Trainer.Core.Random;

namespace Trainer.Core.Tests.Kernels;

/// <summary>
/// The one-pass weight gradient: each element of a partition's sum is the FMA chain over its rows in
/// row order, blocks are added along the partition tree, and neither depends on the threads or on
/// which tile shape (64, 32, 8 or 1 columns) covered the element.
/// </summary>
public sealed class TreeGemmTests
{
    private static TreeGemm.Part[] Parts(int partitions, int rows, int outputs, int inputs, ulong seed)
    {
        var rng = new Rng(seed);
        float Next(int i) => (float)(rng.NextGaussian() * Math.Pow(10, i % 5 - 2)); // magnitudes over decades: another order of additions shows in the bits
        return Enumerable.Range(0, partitions).Select(p =>
        {
            var n = p == partitions - 1 ? rows / 2 : rows; // a short last partition, as an epoch's last step has
            return new TreeGemm.Part(Enumerable.Range(0, n * outputs).Select(Next).ToArray(), Enumerable.Range(0, n * inputs).Select(Next).ToArray(), n);
        }).ToArray();
    }

    /// <summary>The definition, element by element: per partition the FMA chain over rows, then the tree's additions.</summary>
    private static float[] Expected(TreeGemm.Part[] parts, int start, int count, int outputs, int inputs)
    {
        var sums = Enumerable.Range(start, count).Select(p =>
        {
            var sum = new float[outputs * inputs];
            for (var o = 0; o < outputs; o++)
                for (var i = 0; i < inputs; i++)
                {
                    var s = 0f;
                    for (var r = 0; r < parts[p].Rows; r++) s = MathF.FusedMultiplyAdd(parts[p].A[r * outputs + o], parts[p].B[r * inputs + i], s);
                    sum[o * inputs + i] = s;
                }
            return sum;
        }).ToArray();
        for (var stride = 1; stride < count; stride *= 2)
            for (var i = 0; i + stride < count; i += 2 * stride)
                for (var e = 0; e < sums[i].Length; e++) sums[i][e] += sums[i + stride][e];
        return sums[0];
    }

    [Theory]
    [InlineData(1, 10, 84, 1)]
    [InlineData(8, 256, 784, 1)]
    [InlineData(8, 256, 784, 2)]
    [InlineData(4, 30, 121, 3)] // outputs not a multiple of the tile's rows, columns through every tile width
    public void Each_block_is_its_partitions_fma_chains_added_along_the_tree(int partitions, int outputs, int inputs, int threads)
    {
        var parts = Parts(partitions, rows: 7, outputs, inputs, seed: 3);
        var blocks = Trainer.Core.Training.GradientSums.AlignedBlocks(0, partitions);
        var sums = blocks.Select(_ => new float[5 + outputs * inputs]).ToArray();
        var norms = new double[partitions];
        TreeGemm.WeightGradient(parts, outputs, inputs, blocks, sums, offset: 5, norms, threads);

        for (var b = 0; b < blocks.Count; b++)
            Assert.True(Expected(parts, blocks[b].Start, blocks[b].Count, outputs, inputs).AsSpan().SequenceEqual(sums[b].AsSpan(5)), $"block {b}");
        for (var p = 0; p < partitions; p++)
        {
            var own = Expected(parts, p, 1, outputs, inputs);
            Assert.Equal(own.Sum(v => (double)v * v), norms[p], 1e-5 * norms[p]);
        }
    }

    [Fact]
    public void Any_split_of_the_partitions_gives_the_same_blocks_and_norms_whatever_the_threads()
    {
        const int outputs = 36, inputs = 200;
        var parts = Parts(8, rows: 9, outputs, inputs, seed: 5);
        (float[][] Sums, double[] Norms) Run(int first, int count, int threads)
        {
            var blocks = Trainer.Core.Training.GradientSums.AlignedBlocks(first, count).Select(b => (b.Start - first, b.Count)).ToArray();
            var sums = blocks.Select(_ => new float[outputs * inputs]).ToArray();
            var norms = new double[count];
            TreeGemm.WeightGradient(parts[first..(first + count)], outputs, inputs, blocks, sums, 0, norms, threads);
            return (sums, norms);
        }
        var whole = Run(0, 8, 1);
        var halves = new[] { Run(0, 4, 2), Run(4, 4, 1) };
        // the halves are the whole tree's two subtrees: their sum is the whole's, bit for bit
        var total = new float[outputs * inputs];
        System.Numerics.Tensors.TensorPrimitives.Add(halves[0].Sums[0], halves[1].Sums[0], total);
        Assert.Equal(whole.Sums[0], total);
        Assert.Equal(whole.Norms, halves.SelectMany(h => h.Norms));
        var odd = Run(3, 3, 2); // blocks [3], [4, 5]
        Assert.Equal(Run(4, 2, 1).Sums[0], odd.Sums[1]);
        Assert.Equal(whole.Norms[3..6], odd.Norms);
    }

    [Fact]
    public void Operands_too_big_for_the_cache_go_panel_by_panel_with_the_same_bits()
    {
        // 8 × 200 rows × 200 inputs is 1.28 MB of B operands: column panel by panel; one partition's 160 KB: tile by tile
        const int outputs = 36, inputs = 200;
        var parts = Parts(8, rows: 200, outputs, inputs, seed: 7);
        var blocks = Trainer.Core.Training.GradientSums.AlignedBlocks(0, 8);
        var sums = new[] { new float[outputs * inputs] };
        var norms = new double[8];
        TreeGemm.WeightGradient(parts, outputs, inputs, blocks, sums, 0, norms, threads: 2);
        Assert.Equal(Expected(parts, 0, 8, outputs, inputs), sums[0]);
        for (var p = 0; p < 8; p++)
        {
            var own = new[] { new float[outputs * inputs] };
            var ownNorm = new double[1];
            TreeGemm.WeightGradient(parts[p..(p + 1)], outputs, inputs, [(0, 1)], own, 0, ownNorm, threads: 1);
            Assert.Equal(ownNorm[0], norms[p]); // the norm's additions, too, are in one order whichever way the tiles went
        }
    }
}

/// <summary>The forward product: a row's result is its own, whatever the other rows of the call and the vector width.</summary>
public sealed class DotGemmTests
{
    [Theory]
    [InlineData(256, 784)]
    [InlineData(10, 256)]
    [InlineData(84, 120)]
    [InlineData(7, 13)]
    public void A_rows_result_does_not_depend_on_how_many_rows_share_the_call(int columns, int k)
    {
        var rng = new Rng(9);
        var a = Enumerable.Range(0, 300 * k).Select(i => (float)(rng.NextGaussian() * Math.Pow(10, i % 5 - 2))).ToArray();
        var b = Enumerable.Range(0, columns * k).Select(_ => (float)rng.NextGaussian()).ToArray();
        var alone = new float[300 * columns];
        for (var r = 0; r < 300; r++) DotGemm.Multiply(a.AsSpan(r * k, k), b, alone.AsSpan(r * columns, columns), 1, columns, k, columns);
        foreach (var rows in new[] { 2, 3, 5, 32, 33, 128, 300 })
        {
            var together = new float[rows * columns];
            DotGemm.Multiply(a, b, together, rows, columns, k, columns);
            Assert.True(alone.AsSpan(0, rows * columns).SequenceEqual(together), $"{rows} rows");
        }
        // and against the definition: sixteen lanes by FMA, their fixed tree, then the tail
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < columns; c++)
            {
                var lanes = new float[16];
                var whole = k - k % 16;
                for (var p = 0; p < whole; p++) lanes[p % 16] = MathF.FusedMultiplyAdd(a[r * k + p], b[c * k + p], lanes[p % 16]);
                var eight = Enumerable.Range(0, 8).Select(j => lanes[j] + lanes[j + 8]).ToArray();
                var four = Enumerable.Range(0, 4).Select(j => eight[j] + eight[j + 4]).ToArray();
                var sum = (four[0] + four[2]) + (four[1] + four[3]);
                for (var p = whole; p < k; p++) sum = MathF.FusedMultiplyAdd(a[r * k + p], b[c * k + p], sum);
                Assert.Equal(sum, alone[r * columns + c]);
            }
    }
}
