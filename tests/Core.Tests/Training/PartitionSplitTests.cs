using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>The cut of the partitions by the workers' speeds, and the hysteresis that keeps it under noise.</summary>
public sealed class PartitionSplitTests
{
    [Fact]
    public void The_even_cut_is_the_near_equal_ranges_in_worker_order()
    {
        Assert.Equal([2, 3, 3], PartitionSplit.Even(8, 3));
        Assert.Equal([(0, 2), (2, 3), (5, 3)], PartitionSplit.Ranges(PartitionSplit.Even(8, 3)));
    }

    [Fact]
    public void Partitions_go_in_proportion_to_speed_with_at_least_one_each()
    {
        Assert.Equal([4, 4], PartitionSplit.Proportional(8, [1.0, 1.0]));
        Assert.Equal([2, 2, 4], PartitionSplit.Proportional(8, [1.0, 1.0, 0.5]));
        Assert.Equal([7, 1], PartitionSplit.Proportional(8, [1.0, 5.0])); // 0.2 of the speed: 7 t and 5 t, where 6 and 2 would give 10 t
        Assert.Equal([1, 15], PartitionSplit.Proportional(16, [1000.0, 1.0])); // a very slow worker keeps one
    }

    [Fact]
    public void The_cut_is_contiguous_covers_every_partition_once_and_is_the_best_slowest_worker()
    {
        var random = new System.Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var workers = random.Next(1, 6);
            var partitions = random.Next(workers, 40);
            var seconds = Enumerable.Range(0, workers).Select(_ => 0.01 + random.NextDouble()).ToArray();
            var counts = PartitionSplit.Proportional(partitions, seconds);
            Assert.All(counts, c => Assert.True(c >= 1));
            Assert.Equal(partitions, counts.Sum());
            var ranges = PartitionSplit.Ranges(counts);
            Assert.Equal(Enumerable.Range(0, partitions), ranges.SelectMany(r => Enumerable.Range(r.First, r.Count)));
            Assert.Equal(counts, PartitionSplit.Proportional(partitions, seconds)); // deterministic
            Assert.True(PartitionSplit.StepSeconds(seconds, counts) <= PartitionSplit.StepSeconds(seconds, PartitionSplit.Even(partitions, workers)));
        }
    }

    [Fact]
    public void Ties_go_to_the_lower_index()
    {
        Assert.Equal([3, 3, 2], PartitionSplit.Proportional(8, [1.0, 1.0, 1.0]));
        Assert.Equal([2, 1], PartitionSplit.Proportional(3, [1.0, 1.0]));
    }

    [Fact]
    public void A_slow_worker_measured_for_a_window_of_steps_gets_fewer_partitions()
    {
        var balancer = new SplitBalancer();
        balancer.Reset([4, 4]);
        for (var step = 0; step <= SplitBalancer.DefaultWindow; step++) // a window after the warm-up step
        {
            Assert.Null(balancer.Propose()); // not before a window of steps
            balancer.Observe([4 * 0.01, 4 * 0.05]);
        }
        Assert.Equal([7, 1], balancer.Propose()!);
    }

    [Fact]
    public void Noise_in_equal_workers_times_keeps_the_cut()
    {
        var balancer = new SplitBalancer();
        balancer.Reset(PartitionSplit.Even(8, 3));
        var random = new System.Random(3);
        for (var step = 0; step < 200; step++)
        {
            balancer.Observe([.. PartitionSplit.Even(8, 3).Select(c => c * 0.01 * (0.95 + 0.1 * random.NextDouble()))]); // ±5 % per step
            Assert.Null(balancer.Propose());
        }
    }

    [Fact]
    public void A_gain_below_the_margin_keeps_the_cut()
    {
        var balancer = new SplitBalancer();
        balancer.Reset([4, 4]);
        for (var step = 0; step < 20; step++) balancer.Observe([4 * 0.0100, 4 * 0.0108]); // 5:3 would save under 10 %
        Assert.Null(balancer.Propose());
    }

    [Fact]
    public void The_first_step_of_a_cut_is_not_averaged_in()
    {
        var balancer = new SplitBalancer(window: 2);
        balancer.Reset([4, 4]);
        balancer.Observe([4 * 1.0, 4 * 0.01]); // warm-up: worker 0 looked slow
        balancer.Observe([4 * 0.01, 4 * 0.01]);
        Assert.Equal([0.01, 0.01], balancer.SecondsPerPartition);
        Assert.Null(balancer.Propose());
    }

    [Fact]
    public void Each_cut_by_speed_doubles_the_window_and_a_cluster_change_starts_it_again()
    {
        var balancer = new SplitBalancer(window: 4);
        balancer.Reset([4, 4]);
        for (var step = 0; step < 5; step++) balancer.Observe([4 * 0.01, 4 * 0.05]);
        Assert.Equal([7, 1], balancer.Propose()!);
        balancer.Changed([7, 1]);
        Assert.Equal(8, balancer.Window);
        for (var step = 0; step < 8; step++)
        {
            balancer.Observe([7 * 0.05, 1 * 0.01]); // the load moved to the other worker
            Assert.Null(balancer.Propose());
        }
        balancer.Observe([7 * 0.05, 1 * 0.01]);
        Assert.Equal([1, 7], balancer.Propose()!);
        balancer.Changed([1, 7]);
        Assert.Equal(16, balancer.Window);
        balancer.Reset([3, 3, 2]);
        Assert.Equal(4, balancer.Window);
    }

    [Fact]
    public void Load_that_moves_between_the_halves_of_the_window_keeps_the_cut()
    {
        var balancer = new SplitBalancer(window: 8);
        balancer.Reset([4, 4]);
        balancer.Observe([0.04, 0.04]); // warm-up
        for (var step = 0; step < 4; step++) balancer.Observe([4 * 0.05, 4 * 0.01]);
        for (var step = 0; step < 4; step++) balancer.Observe([4 * 0.01, 4 * 0.03]);
        Assert.Null(balancer.Propose()); // the whole window's mean says 3 5; its halves say 1 7 and 6 2
    }

    [Fact]
    public void A_cut_left_before_whose_steps_were_slower_is_not_gone_back_to()
    {
        var balancer = new SplitBalancer(window: 4);
        balancer.Reset([4, 4]);
        for (var step = 0; step < 5; step++) balancer.Observe([4 * 0.01, 4 * 0.05]); // 4 4: steps of 200 ms
        Assert.Equal([7, 1], balancer.Propose()!);
        balancer.Changed([7, 1]);
        // under a CPU quota one partition fits and is not slowed: both look equal, so the prediction says 4 4
        for (var step = 0; step < 9; step++) balancer.Observe([7 * 0.01, 1 * 0.01]);
        Assert.Null(balancer.Propose()); // but 4 4 measured 200 ms a step, 7 1 measures 70 ms
        balancer.Reset([7, 1]); // a cluster change forgets what was measured
        for (var step = 0; step < 5; step++) balancer.Observe([7 * 0.01, 1 * 0.01]);
        Assert.Equal([4, 4], balancer.Propose()!);
    }
}
