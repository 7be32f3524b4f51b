namespace Trainer.Core.Training;

/// <summary>
/// The fixed order in which per-partition gradient sums are added: a binary tree with stride
/// doubling (level 1 adds partition 1 into 0, 3 into 2, …; level 2 adds 2 into 0, 6 into 4; …).
/// A block of 2^j partitions starting at a multiple of 2^j is a subtree, so a worker owning such
/// a block can reduce it locally and the combined result is bit-identical to reducing all at once.
/// </summary>
public static class GradientSums
{
    /// <summary>Reduces sums[0..count) into sums[0] along the tree.</summary>
    public static void TreeReduce(IReadOnlyList<float[]> sums, int count)
    {
        for (var stride = 1; stride < count; stride *= 2)
            for (var i = 0; i + stride < count; i += 2 * stride)
                System.Numerics.Tensors.TensorPrimitives.Add(sums[i], sums[i + stride], sums[i]);
    }

    /// <summary>mean = sum / rows; false when any element is not finite (the divergence guard's test).</summary>
    public static bool ToMean(ReadOnlySpan<float> sum, int rows, Span<float> mean)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(sum, 1f / rows, mean);
        return float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(mean));
    }
}
