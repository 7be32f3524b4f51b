using Trainer.Grains.Workers;

namespace Trainer.Grains.Tests;

public sealed class WorkerPlacementTests
{
    private static string[] Place(string?[] current, string[] usable, int workers) => WorkerPlacement.Assign(current, usable, workers);

    [Fact]
    public void Auto_is_one_worker_per_usable_silo_at_most_one_per_partition_and_a_count_is_kept()
    {
        Assert.Equal(3, WorkerPlacement.Count(0, usableSilos: 3, partitions: 8));
        Assert.Equal(2, WorkerPlacement.Count(0, usableSilos: 3, partitions: 2));
        Assert.Equal(5, WorkerPlacement.Count(5, usableSilos: 3, partitions: 8));
    }

    [Fact]
    public void From_nothing_worker_i_goes_to_silo_i_mod_s()
    {
        Assert.Equal(["a", "b", "c", "a", "b", "c", "a", "b"], Place([], ["a", "b", "c"], 8));
    }

    [Fact]
    public void A_silo_that_joins_takes_workers_from_the_fullest_and_the_others_stay_where_they_are()
    {
        // 6 workers on 2 silos, 3 each; a third joins: 2 each, the last of each full silo's moves
        Assert.Equal(["a", "b", "a", "b", "c", "c"], Place(["a", "b", "a", "b", "a", "b"], ["a", "b", "c"], 6));
        // one worker per silo, a silo joins and the job grows by one: the new worker goes there
        Assert.Equal(["a", "b", "c"], Place(["a", "b"], ["a", "b", "c"], 3));
    }

    [Fact]
    public void The_workers_of_a_silo_that_leaves_move_to_the_emptiest_and_nothing_else_moves()
    {
        Assert.Equal(["a", "c", "c", "a"], Place(["a", "b", "c", "a"], ["a", "c"], 4));
        Assert.Equal(["a", "c"], Place(["a", "b", "c"], ["a", "c"], 2)); // the job shrinks: the first workers stay
    }

    [Fact]
    public void More_workers_than_silos_share_them_evenly_the_first_silos_one_more()
    {
        var placed = Place([], ["a", "b", "c"], 7);
        Assert.Equal([3, 2, 2], new[] { "a", "b", "c" }.Select(s => placed.Count(p => p == s)));
    }
}
