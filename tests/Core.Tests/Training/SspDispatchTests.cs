using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class SspDispatchTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void No_worker_starts_a_step_more_than_the_bound_ahead_of_the_slowest(int bound)
    {
        const int workers = 4, steps = 60;
        var dispatch = new SspDispatch(workers, steps, bound);
        var rng = new Rng((ulong)bound + 1);
        var running = new List<int>();
        var ahead = 0;
        while (!dispatch.Finished)
        {
            var slowest = dispatch.Slowest;
            foreach (var w in dispatch.Start())
            {
                Assert.InRange(dispatch.StepOf(w) - slowest, 0, bound); // the bound, at every start
                ahead = Math.Max(ahead, dispatch.StepOf(w) - slowest);
                running.Add(w);
            }
            Assert.NotEmpty(running); // never stuck: the slowest may always go on
            // some worker finishes; worker 0 is slow (finishes least often), so the others run ahead
            var index = rng.NextInt(running.Count);
            if (running[index] == 0 || rng.NextInt(4) == 0 || running.All(r => r == 0))
            {
                dispatch.Completed(running[index]);
                running.RemoveAt(index);
            }
            else if (running.FindIndex(r => r != 0) is var other and >= 0)
            {
                dispatch.Completed(running[other]);
                running.RemoveAt(other);
            }
        }
        Assert.Equal(bound, ahead); // the bound is reached, not just respected
        Assert.All(Enumerable.Range(0, workers), w => Assert.Equal(steps, dispatch.StepOf(w)));
    }

    [Fact]
    public void Without_a_bound_workers_run_freely_and_a_failed_step_is_dispatched_again()
    {
        var dispatch = new SspDispatch(2, 10);
        Assert.Equal([0, 1], dispatch.Start());
        for (var i = 0; i < 9; i++) { dispatch.Completed(1); Assert.Equal([1], dispatch.Start()); }
        Assert.Equal(9, dispatch.StepOf(1) - dispatch.StepOf(0));
        dispatch.Failed(0);
        Assert.Equal([0], dispatch.Start());
        Assert.Equal(0, dispatch.StepOf(0));
    }

    [Fact]
    public void Bound_zero_is_lockstep()
    {
        var dispatch = new SspDispatch(3, 5, bound: 0);
        Assert.Equal([0, 1, 2], dispatch.Start());
        dispatch.Completed(2);
        Assert.Empty(dispatch.Start()); // worker 2 waits for the others
        dispatch.Completed(0);
        dispatch.Completed(1);
        Assert.Equal([0, 1, 2], dispatch.Start());
    }
}
