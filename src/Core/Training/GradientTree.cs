namespace Trainer.Core.Training;

/// <summary>
/// One step's reduction: the block sums of all P partitions (each worker's aligned subtrees) added
/// along the rest of the fixed tree (<see cref="GradientSums.CompleteTree"/>) and divided by the
/// step's rows. It owns the tree's scratch (a buffer where two blocks meet, made when first needed),
/// so the blocks it is given are never written.
/// </summary>
public sealed class GradientTree(int partitions)
{
    private readonly float[]?[] _scratch = new float[partitions][];
    private readonly float[]?[] _slots = new float[partitions][];

    public int Partitions => partitions;

    /// <summary>Forgets the last step's blocks.</summary>
    public void Clear() => Array.Clear(_slots);

    /// <summary>The sum of the aligned block of partitions that starts at <paramref name="start"/>.</summary>
    public void Add(int start, float[] sum) => _slots[start] = sum;

    public void Add(StepSums part)
    {
        foreach (var (start, sum) in part.Blocks) Add(start, sum);
    }

    /// <summary>mean = (the tree's total) / rows; false when the mean is not finite.</summary>
    public bool Mean(int rows, float[] mean) => GradientSums.ToMean(GradientSums.CompleteTree(_slots, _scratch), rows, mean);

    /// <summary>
    /// The same on one range of the vector: the tree's additions there (element-wise, so the same bits
    /// as over the whole), divided by the rows into <paramref name="mean"/>. Ranges may run on separate
    /// threads once <see cref="Prepare"/> made the scratch. False when an element of the range is not finite.
    /// </summary>
    public bool MeanOf(int rows, float[] mean, int start, int length)
    {
        var total = GradientSums.CompleteTree(_slots, _scratch, start, length);
        var range = mean.AsSpan(start, length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(total, 1f / rows, range);
        return float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(range));
    }

    /// <summary>Makes the scratch where the blocks now held meet, before ranges are reduced side by side.</summary>
    public void Prepare() => GradientSums.CompleteTree(_slots, _scratch, 0, 0);
}
