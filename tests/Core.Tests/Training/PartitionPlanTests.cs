using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class PartitionPlanTests
{
    [Theory]
    [InlineData(1000, 8, 256)]
    [InlineData(1001, 3, 64)]
    [InlineData(10, 1, 1)]
    [InlineData(97, 5, 97)]
    public void Every_row_is_seen_exactly_once_per_epoch_in_global_batches(int rows, int partitions, int batch)
    {
        var plan = new PartitionPlan(rows, partitions, batch, seed: 7);
        Assert.Equal(batch, plan.MicroBatch.Sum());
        Assert.True(plan.MicroBatch.Max() - plan.MicroBatch.Min() <= 1);
        for (var epoch = 1; epoch <= 2; epoch++)
        {
            var orders = Enumerable.Range(0, partitions).Select(p => plan.EpochOrder(p, epoch)).ToArray();
            var seen = new List<int>();
            for (var step = 0; step < plan.StepsPerEpoch; step++)
            {
                var stepRows = Enumerable.Range(0, partitions).SelectMany(p => plan.MicroBatchRows(orders[p], p, step).ToArray()).ToList();
                Assert.True(stepRows.Count <= batch);
                Assert.NotEmpty(stepRows);
                seen.AddRange(stepRows);
            }
            Assert.Equal(Enumerable.Range(0, rows), seen.Order());
        }
    }

    [Fact]
    public void Each_partition_reshuffles_every_epoch_and_the_same_seed_gives_the_same_order()
    {
        var a = new PartitionPlan(500, 4, 64, seed: 1);
        var b = new PartitionPlan(500, 4, 64, seed: 1);
        var c = new PartitionPlan(500, 4, 64, seed: 2);
        Assert.Equal(a.EpochOrder(2, 3), b.EpochOrder(2, 3));
        Assert.NotEqual(a.EpochOrder(2, 3), a.EpochOrder(2, 4));
        Assert.NotEqual(a.EpochOrder(2, 3), c.EpochOrder(2, 3));
        Assert.Equal(a.EpochOrder(2, 3).Order(), a.EpochOrder(2, 4).Order());
    }

    [Theory]
    [InlineData(100, 8, 4, "--partitions 8 is larger than --batch 4")]
    [InlineData(100, 2, 101, "--batch 101 is larger than the training set (100 rows)")]
    [InlineData(100, 2, 0, "--batch 0: must be at least 1")]
    public void Contradictory_partitions_and_batch_are_user_errors(int rows, int partitions, int batch, string message)
    {
        var error = Assert.Throws<UserInputException>(() => new PartitionPlan(rows, partitions, batch, 1));
        Assert.StartsWith(message, error.Message);
    }
}
