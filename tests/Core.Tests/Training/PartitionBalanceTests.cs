using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public class PartitionBalanceTests
{
    [Fact]
    public void The_even_split_covers_every_partition_once()
    {
        Assert.Equal([2, 3, 3], PartitionBalance.Even(8, 3));
        Assert.Equal([0, 2, 5], PartitionBalance.Starts([2, 3, 3]));
        Assert.Equal([1, 1], PartitionBalance.Even(2, 2));
    }

    [Fact]
    public void A_worker_that_pays_for_the_wire_gets_fewer_partitions_in_one_aligned_block()
    {
        // 1 ms per partition on both; the remote worker's two messages (weights, one sum) cost 3 ms more.
        // [5, 3] would split the remote range [5, 8) into two blocks (a third message): [6, 2] is faster.
        var split = PartitionBalance.Split(8, [4, 4], [0.0001, 0.0031], [0.001, 0.001]);
        Assert.Equal([6, 2], split);
    }

    [Fact]
    public void A_small_predicted_gain_keeps_the_current_split()
    {
        Assert.Equal([4, 4], PartitionBalance.Split(8, [4, 4], [0, 0.0012], [0.001, 0.001]));
    }

    [Fact]
    public void Every_worker_keeps_at_least_one_partition()
    {
        Assert.Equal([3, 1], PartitionBalance.Split(4, [2, 2], [0, 1.0], [0.001, 0.001], minGain: 0));
    }

    [Fact]
    public void Equal_workers_with_free_messages_keep_the_even_split()
    {
        Assert.Equal([4, 4, 4], PartitionBalance.Split(12, [4, 4, 4], [0, 0, 0], [0.001, 0.001, 0.001]));
    }

    [Fact]
    public void A_slower_worker_gets_fewer_partitions()
    {
        var split = PartitionBalance.Split(12, [4, 4, 4], [0, 0, 0], [0.001, 0.002, 0.002]);
        Assert.Equal(12, split.Sum());
        Assert.True(split[0] > split[1] && split[0] > split[2], string.Join(",", split));
    }
}
