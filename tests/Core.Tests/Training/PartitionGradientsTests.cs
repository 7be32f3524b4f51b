using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>
/// A step's gradient computed in one pass over a range of partitions gives the same bits whoever owns
/// which range: 1, 2, 4 and 8 workers and uneven splits, whatever the threads, on both kernels, for a
/// dense network with dropout and a convolutional one. The server's tree completes the blocks to the
/// whole range's sum; every partition's loss and squared norm are the same too.
/// </summary>
public sealed class PartitionGradientsTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var kernel in new[] { "managed", "openblas" })
            foreach (var model in new[] { "mlp", "cnn" }) data.Add(model, kernel);
        return data;
    }

    private static (Network Network, Dataset Data) Model(string model)
    {
        var cnn = model == "cnn";
        var spec = cnn
            ? new ModelSpec(ModelSpec.Cnn, 2 * 6 * 6, 3, [], "relu") { InputShape = [2, 6, 6], Layers = "conv3x3x4,maxpool2,dense8", Dropout = 0.3 }
            : new ModelSpec(ModelSpec.Mlp, 37, 5, [70, 19], "relu") { Dropout = 0.25 };
        var data = TestData.Random(400, spec.Features, spec.Classes, seed: 11);
        return (new Network(spec), data);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Any_split_of_the_partitions_among_workers_gives_the_whole_ranges_bits(string model, string kernelName)
    {
        var kernel = KernelsUnderTest.Get(kernelName);
        var (network, data) = Model(model);
        var plan = new PartitionPlan(data.Count, partitions: 8, globalBatch: 60, seed: 3); // 8 rows in the first four partitions, 7 in the others
        var weights = network.Initialise(5);
        var orders = Enumerable.Range(0, plan.Partitions).Select(p => plan.EpochOrder(p, 2)).ToArray();
        StepSums Range(int first, int count, int threads) =>
            new PartitionGradients(network, kernel, data, plan, first, count, threads).Compute(weights, orders, epoch: 2, step: 1);

        var whole = Range(0, 8, threads: 1);
        Assert.Single(whole.Blocks);
        foreach (var split in new[] { new[] { 8 }, [4, 4], [2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1], [3, 5], [1, 6, 1], [5, 2, 1] })
            foreach (var threads in new[] { 1, 2 })
            {
                var parts = new List<StepSums>();
                var first = 0;
                foreach (var count in split) { parts.Add(Range(first, count, threads)); first += count; }

                var tree = new GradientTree(plan.Partitions);
                foreach (var part in parts) tree.Add(part);
                var mean = new float[network.ParameterCount];
                var expected = new float[network.ParameterCount];
                Assert.True(tree.Mean(whole.Rows, mean));
                GradientSums.ToMean(whole.Blocks[0].Sum, whole.Rows, expected);
                Assert.True(expected.AsSpan().SequenceEqual(mean), $"split {string.Join('+', split)}, {threads} threads");
                Assert.Equal(whole.Losses, parts.SelectMany(p => p.Losses));
                Assert.Equal(whole.SquaredNorms, parts.SelectMany(p => p.SquaredNorms));
            }
    }
}
