using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Models.Layers;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Models;

/// <summary>
/// Inverted dropout's masks are a function of (seed, epoch, step, the row's index in the data) and
/// of nothing else: not the row's place in its batch, its partition or the worker that computes it.
/// </summary>
public sealed class DropoutTests
{
    private static readonly ModelSpec Spec = new("mlp", Features: 6, 3, [64, 32], "relu") { Dropout = 0.5 };

    private static float[] MaskOf(Network network, Dataset data, int[] ids, int epoch, int step, int layer, int row)
    {
        var ws = network.CreateWorkspace(ids.Length);
        var x = ids.SelectMany(i => data.Row(i).ToArray()).ToArray();
        var y = ids.Select(i => data.Y[i]).ToArray();
        network.Gradient(KernelsUnderTest.Get("managed"), network.Initialise(1), x, y, ids.Length, new float[network.ParameterCount], ws, new DropoutRows(42, epoch, step, ids));
        var width = network.Layers[layer].OutputSize;
        return ws.Layers[layer].Mask.AsSpan(row * width, width).ToArray();
    }

    [Fact]
    public void A_rows_mask_is_the_same_wherever_the_row_sits_in_a_batch_and_differs_by_epoch_step_and_row()
    {
        var network = new Network(Spec);
        var data = TestData.Random(20, 6, 3);
        var inBatch = MaskOf(network, data, [4, 9, 13, 17], epoch: 2, step: 3, layer: 1, row: 2);
        Assert.Equal(inBatch, MaskOf(network, data, [13], epoch: 2, step: 3, layer: 1, row: 0));
        Assert.Equal(inBatch, MaskOf(network, data, [17, 13, 1], epoch: 2, step: 3, layer: 1, row: 1));
        Assert.NotEqual(inBatch, MaskOf(network, data, [13], epoch: 3, step: 3, layer: 1, row: 0));
        Assert.NotEqual(inBatch, MaskOf(network, data, [13], epoch: 2, step: 4, layer: 1, row: 0));
        Assert.NotEqual(inBatch, MaskOf(network, data, [14], epoch: 2, step: 3, layer: 1, row: 0));
        Assert.NotEqual(MaskOf(network, data, [13], 2, 3, layer: 0, row: 0)[..32], inBatch);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void About_p_of_the_units_are_dropped_and_the_kept_are_scaled_by_one_over_one_minus_p(double p)
    {
        var mask = new float[100_000];
        new DropoutRows(7, 1, 0, [5]).Fill(0, 0, p, mask);
        Assert.InRange(mask.Count(m => m == 0) / (double)mask.Length, p - 0.01, p + 0.01);
        Assert.All(mask, m => Assert.True(m == 0 || m == (float)(1 / (1 - p))));
    }

    [Fact]
    public void Evaluation_and_prediction_do_not_drop()
    {
        var data = TestData.Random(30, 6, 3);
        var (dropped, plain) = (new Network(Spec), new Network(Spec with { Dropout = 0 }));
        var weights = plain.Initialise(3);
        var kernel = KernelsUnderTest.Get("managed");
        Assert.Equal(plain.Forward(kernel, weights, data.X, 30, plain.CreateWorkspace(30)).ToArray(),
            dropped.Forward(kernel, weights, data.X, 30, dropped.CreateWorkspace(30)).ToArray());
        Assert.Equal(Evaluator.Sums(plain, kernel, weights, data, 2), Evaluator.Sums(dropped, kernel, weights, data, 2));
    }

    /// <summary>
    /// A step's sums computed by one range of 8 partitions (the reference trainer, one worker) and by
    /// 8 ranges of one (8 workers), then added along the same tree: the same bits, masks included.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelsUnderTest.Names), MemberType = typeof(KernelsUnderTest))]
    public void The_step_sums_with_dropout_do_not_depend_on_how_the_partitions_are_split_among_workers(string kernelName)
    {
        var kernel = KernelsUnderTest.Get(kernelName);
        var spec = new ModelSpec(ModelSpec.Cnn, Features: 64, 3, [], "relu") { InputShape = [1, 8, 8], Layers = "conv3x3x4,maxpool2,dense16", Dropout = 0.5 };
        var network = new Network(spec);
        var data = TestData.Random(200, 64, 3);
        var plan = new PartitionPlan(data.Count, 8, 64, 42);
        var weights = network.Initialise(42);
        var orders = Enumerable.Range(0, 8).Select(p => plan.EpochOrder(p, 2)).ToArray();

        var whole = new PartitionGradients(network, kernel, data, plan, 0, 8, threads: 2).Compute(weights, orders, 2, 1);
        var parts = Enumerable.Range(0, 8)
            .Select(p => new PartitionGradients(network, kernel, data, plan, p, 1, threads: 1).Compute(weights, orders, 2, 1).Blocks.Single().Sum.ToArray())
            .ToArray();
        GradientSums.TreeReduce(parts, 8);
        Assert.Equal(whole.Blocks.Single().Sum, parts[0]);

        var withoutDropout = new PartitionGradients(new Network(spec with { Dropout = 0 }), kernel, data, plan, 0, 8, threads: 2).Compute(weights, orders, 2, 1);
        Assert.NotEqual(withoutDropout.Blocks.Single().Sum, whole.Blocks.Single().Sum);
    }
}
