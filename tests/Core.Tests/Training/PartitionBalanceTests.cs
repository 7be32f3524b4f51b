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
    public void A_worker_that_pays_for_the_wire_gets_fewer_partitions()
    {
        // 1 ms per partition on both; the remote worker spends 2.5 ms more per step on the wire
        var split = PartitionBalance.Split(8, [4, 4], [0.0001, 0.0026], [0.001, 0.001]);
        Assert.Equal([5, 3], split);
        Assert.Equal(8, split.Sum());
    }

    [Fact]
    public void A_small_predicted_gain_keeps_the_current_split()
    {
        // [5, 3] would finish in 5.0 ms instead of 5.2: less than the 5% it takes to move
        Assert.Equal([4, 4], PartitionBalance.Split(8, [4, 4], [0, 0.0012], [0.001, 0.001]));
        Assert.Equal([5, 3], PartitionBalance.Split(8, [4, 4], [0, 0.0012], [0.001, 0.001], minGain: 0));
    }

    [Fact]
    public void Every_worker_keeps_at_least_one_partition()
    {
        var split = PartitionBalance.Split(4, [2, 2], [0, 1.0], [0.001, 0.001], minGain: 0);
        Assert.Equal([3, 1], split);
    }

    [Fact]
    public void A_slower_worker_gets_fewer_partitions_in_proportion()
    {
        Assert.Equal([6, 3, 3], PartitionBalance.Split(12, [4, 4, 4], [0, 0, 0], [0.001, 0.002, 0.002]));
    }
}
