using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class GradientSumsTests
{
    private static float[][] RandomSums(int partitions, int seed)
    {
        var rng = new Rng((ulong)seed);
        // magnitudes spread over seven decades, so that a different order of additions would show in the bits
        return Enumerable.Range(0, partitions)
            .Select(p => Enumerable.Range(0, 1000).Select(i => (float)(rng.NextGaussian() * Math.Pow(10, i % 7 - 3))).ToArray()).ToArray();
    }

    public static TheoryData<int, int> Splits()
    {
        var data = new TheoryData<int, int>();
        foreach (var partitions in new[] { 1, 6, 7, 8, 13 })
            for (var workers = 1; workers <= partitions; workers++) data.Add(partitions, workers);
        return data;
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void Any_contiguous_split_among_workers_gives_the_same_bits_as_one_reduction(int partitions, int workers)
    {
        var whole = RandomSums(partitions, 4);
        var expected = whole.Select(s => (float[])s.Clone()).ToArray();
        GradientSums.TreeReduce(expected, partitions);

        // Each worker owns a contiguous range, reduces its aligned blocks; the server completes the tree.
        var slots = new float[]?[partitions];
        for (var w = 0; w < workers; w++)
        {
            var first = partitions * w / workers;
            var count = partitions * (w + 1) / workers - first;
            foreach (var (start, size) in GradientSums.AlignedBlocks(first, count))
            {
                var block = whole[start..(start + size)].Select(s => (float[])s.Clone()).ToArray();
                GradientSums.TreeReduce(block, size);
                slots[start] = block[0];
            }
        }
        var inputs = slots.Select(s => s?.ToArray()).ToArray();
        var total = GradientSums.CompleteTree(slots, Enumerable.Range(0, partitions).Select(_ => new float[1000]).ToArray());

        Assert.Equal(expected[0], total);
        Assert.Equal(inputs.Select(s => s?.Sum()), slots.Select(s => s?.Sum())); // the inputs are left untouched
    }

    [Fact]
    public void Aligned_blocks_cover_a_range_with_power_of_two_blocks_at_multiples_of_their_size()
    {
        Assert.Equal([(0, 8)], GradientSums.AlignedBlocks(0, 8));
        Assert.Equal([(0, 4), (4, 2)], GradientSums.AlignedBlocks(0, 6));
        Assert.Equal([(3, 1), (4, 4), (8, 1)], GradientSums.AlignedBlocks(3, 6));
    }
}
