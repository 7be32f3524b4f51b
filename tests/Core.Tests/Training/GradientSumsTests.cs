using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class GradientSumsTests
{
    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 2)]
    [InlineData(8, 4)]
    [InlineData(6, 2)]
    [InlineData(6, 4)]
    public void Reducing_aligned_blocks_first_gives_the_same_bits_as_reducing_all(int partitions, int block)
    {
        var rng = new Rng(4);
        float[][] Sums() => Enumerable.Range(0, partitions)
            .Select(p => Enumerable.Range(0, 1000).Select(i => (float)(rng.NextGaussian() * Math.Pow(10, i % 7 - 3))).ToArray()).ToArray();
        var whole = Sums();
        var blocks = whole.Select(s => (float[])s.Clone()).ToArray();

        GradientSums.TreeReduce(whole, partitions);

        // A worker per block reduces its own subtree; the blocks' results are then reduced in turn.
        var partials = new List<float[]>();
        for (var first = 0; first < partitions; first += block)
        {
            var mine = blocks[first..Math.Min(partitions, first + block)];
            GradientSums.TreeReduce(mine, mine.Length);
            partials.Add(mine[0]);
        }
        GradientSums.TreeReduce(partials, partials.Count);

        Assert.Equal(whole[0], partials[0]);
    }
}
