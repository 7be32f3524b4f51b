namespace Trainer.Core.Kernels;

/// <summary>
/// A dense layer's weight gradient over a range of partitions in one pass: for each aligned block of
/// partitions, C = Σ over its partitions p, added along the fixed binary tree, of A_pᵀ·B_p, where A_p
/// is the partition's gradient at the layer's output (rows × O) and B_p its input (rows × I). A tile
/// of C stays in registers while a partition's rows are added into it, one fused multiply-add per row
/// in row order; finished partitions are combined pairwise on a small stack in tree order (as in
/// pairwise summation), and each block's tile is written once. So an element of a partition's sum is
/// the same chain of FMAs whoever computes it, with whatever vector width, on however many threads:
/// the partition tree's bits do not depend on how the partitions are split among workers.
/// <para>
/// It also gives every partition's squared norm of its own sum (for the gradient noise scale), added in
/// a fixed order of column chunks. One GEMM per partition instead wrote a full-size sum per partition and
/// read it again to add the tree: at 32 rows a partition that traffic took as long as the arithmetic.
/// </para>
/// </summary>
public static partial class TreeGemm
{
    /// <summary>One partition's operands: <paramref name="A"/> rows × O (the gradient at the outputs) and <paramref name="B"/> rows × I (the inputs), row-major from index 0.</summary>
    public readonly record struct Part(float[] A, float[] B, int Rows);

    /// <summary>Outputs per task: tasks are the unit of parallelism and of the norms' order.</summary>
    private const int OutputsPerTask = 16;

    /// <summary>
    /// Writes block b's sum into <paramref name="outputs"/>[b] from <paramref name="offset"/> (O × I,
    /// row-major) and adds each partition's squared norm to <paramref name="squaredNorms"/>.
    /// </summary>
    /// <param name="blocks">Aligned blocks of <paramref name="parts"/> (indices into it), covering it in order.</param>
    public static void WeightGradient(IReadOnlyList<Part> parts, int outputs, int inputs, IReadOnlyList<(int Start, int Count)> blocks,
        IReadOnlyList<float[]> outputsByBlock, int offset, double[] squaredNorms, int threads)
    {
        var tasks = (outputs + OutputsPerTask - 1) / OutputsPerTask;
        var norms = new double[tasks * parts.Count];
        void Task(int t)
        {
            var stack = new float[Depth(blocks) * TileFloats];
            var first = t * OutputsPerTask;
            var last = Math.Min(outputs, first + OutputsPerTask);
            var taskNorms = norms.AsSpan(t * parts.Count, parts.Count);
            Tiles(parts, outputs, inputs, blocks, outputsByBlock, offset, first, last, stack, taskNorms);
        }
        if (threads <= 1 || tasks == 1) for (var t = 0; t < tasks; t++) Task(t);
        else Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, Task);
        for (var t = 0; t < tasks; t++)
            for (var p = 0; p < parts.Count; p++) squaredNorms[p] += norms[t * parts.Count + p];
    }

    /// <summary>
    /// Writes block b's column sums of the A operands (a bias's gradient: Σ over rows, in row order,
    /// then the tree) into <paramref name="outputsByBlock"/>[b] from <paramref name="offset"/>, and adds each partition's squared norm.
    /// </summary>
    public static void ColumnSums(IReadOnlyList<Part> parts, int outputs, IReadOnlyList<(int Start, int Count)> blocks,
        IReadOnlyList<float[]> outputsByBlock, int offset, double[] squaredNorms)
    {
        var sums = new float[parts.Count][];
        for (var p = 0; p < parts.Count; p++)
        {
            var (a, rows) = (parts[p].A, parts[p].Rows);
            var sum = sums[p] = new float[outputs];
            if (rows > 0) a.AsSpan(0, outputs).CopyTo(sum);
            for (var r = 1; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(sum, a.AsSpan(r * outputs, outputs), sum);
            squaredNorms[p] += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(sum);
        }
        for (var b = 0; b < blocks.Count; b++)
            TreeInto(sums, blocks[b].Start, blocks[b].Count, outputsByBlock[b].AsSpan(offset, outputs));
    }

    /// <summary>Adds <paramref name="sums"/>[start, start + count) along the tree (stride doubling, left + right) into <paramref name="target"/>; the sums are overwritten.</summary>
    public static void TreeInto(float[][] sums, int start, int count, Span<float> target)
    {
        for (var stride = 1; stride < count; stride *= 2)
            for (var i = 0; i + stride < count; i += 2 * stride)
                System.Numerics.Tensors.TensorPrimitives.Add(sums[start + i], sums[start + i + stride], sums[start + i]);
        sums[start].AsSpan(0, target.Length).CopyTo(target);
    }

    /// <summary>The stack a block needs: one level per doubling, and one more.</summary>
    private static int Depth(IReadOnlyList<(int Start, int Count)> blocks)
    {
        var largest = blocks.Max(b => b.Count);
        var depth = 1;
        while ((1 << (depth - 1)) < largest) depth++;
        return depth + 1;
    }
}
