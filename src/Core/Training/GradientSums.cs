using System.Numerics.Tensors;

namespace Trainer.Core.Training;

/// <summary>
/// The fixed order in which per-partition gradient sums are added: a binary tree with stride
/// doubling (level 1 adds partition 1 into 0, 3 into 2, …; level 2 adds 2 into 0, 6 into 4; …).
/// A contiguous range of partitions splits into aligned subtrees (blocks of 2^j partitions starting
/// at a multiple of 2^j); whoever owns a range reduces its blocks, and <see cref="CompleteTree"/>
/// adds the blocks' sums along the rest of the same tree. So any split of the partitions among
/// workers gives bit-identical results: the basis of the determinism contract.
/// </summary>
public static class GradientSums
{
    /// <summary>The aligned subtrees that exactly cover partitions [first, first + count).</summary>
    public static IReadOnlyList<(int Start, int Count)> AlignedBlocks(int first, int count)
    {
        var blocks = new List<(int, int)>();
        var end = first + count;
        for (var start = first; start < end;)
        {
            var size = 1;
            while (start % (2 * size) == 0 && start + 2 * size <= end) size *= 2;
            blocks.Add((start, size));
            start += size;
        }
        return blocks;
    }

    /// <summary>Reduces sums[0..count) into sums[0] along the tree (for a block, indices relative to its start).</summary>
    public static void TreeReduce(IReadOnlyList<float[]> sums, int count)
    {
        for (var stride = 1; stride < count; stride *= 2)
            for (var i = 0; i + stride < count; i += 2 * stride)
                TensorPrimitives.Add(sums[i], sums[i + stride], sums[i]);
    }

    /// <summary>
    /// Adds block sums along the tree over all P partitions. <paramref name="slots"/> holds, at each
    /// block's start, that block's sum and null elsewhere. The inputs are not modified: intermediate
    /// sums go to <paramref name="scratch"/> (P slots, a buffer made in a slot where two blocks first meet, and kept). Returns the total.
    /// </summary>
    public static float[] CompleteTree(float[]?[] slots, float[]?[] scratch)
    {
        var current = (float[]?[])slots.Clone();
        var partitions = current.Length;
        for (var stride = 1; stride < partitions; stride *= 2)
            for (var i = 0; i + stride < partitions; i += 2 * stride)
            {
                if (current[i + stride] is not { } right) continue; // already inside a reduced block
                var left = current[i] ?? throw new InvalidOperationException($"partition {i} has no sum");
                var sum = scratch[i] ??= new float[left.Length];
                TensorPrimitives.Add(left, right, sum);
                current[i] = sum;
                current[i + stride] = null;
            }
        return current[0] ?? throw new InvalidOperationException("partition 0 has no sum");
    }

    /// <summary>
    /// <see cref="CompleteTree(float[][], float[][])"/> on the range [start, start + length) of the vectors: the
    /// same additions, so the same bits there; a scratch buffer is made (whole) where two blocks first meet.
    /// Returns the total's range.
    /// </summary>
    public static ReadOnlySpan<float> CompleteTree(float[]?[] slots, float[]?[] scratch, int start, int length)
    {
        var current = (float[]?[])slots.Clone();
        var partitions = current.Length;
        for (var stride = 1; stride < partitions; stride *= 2)
            for (var i = 0; i + stride < partitions; i += 2 * stride)
            {
                if (current[i + stride] is not { } right) continue;
                var left = current[i] ?? throw new InvalidOperationException($"partition {i} has no sum");
                var sum = scratch[i] ??= new float[left.Length];
                TensorPrimitives.Add(left.AsSpan(start, length), right.AsSpan(start, length), sum.AsSpan(start, length));
                current[i] = sum;
                current[i + stride] = null;
            }
        return (current[0] ?? throw new InvalidOperationException("partition 0 has no sum")).AsSpan(start, length);
    }

    /// <summary>mean = sum / rows; false when any element is not finite (the divergence guard's test).</summary>
    public static bool ToMean(ReadOnlySpan<float> sum, int rows, Span<float> mean)
    {
        TensorPrimitives.Multiply(sum, 1f / rows, mean);
        return float.IsFinite(TensorPrimitives.Sum(mean));
    }
}
