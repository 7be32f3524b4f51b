using Trainer.Core.Training;
using Trainer.Grains.Dashboard;

namespace Trainer.Grains.Tests;

/// <summary>The dashboard's board: what the page reads of a job as its events arrive.</summary>
public sealed class JobBoardTests
{
    private static EpochReport Report(int epoch, double loss) =>
        new(epoch, loss, null, null, 1, 100, 0.1, new EpochStats(epoch, loss * 10, 10, 5, 1, 0.5, 0.25, 0.05, 0, 0.1, NoiseScale: double.NaN, Workers: 2, Silos: ["a", "b"]));

    [Fact]
    public void A_job_s_epoch_steps_and_points_follow_its_events_and_a_resumed_epoch_replaces_its_first_run()
    {
        var board = new JobBoard();
        board.Placed("j", "mlp", "sync", 3, "ps-silo", ["a"], []);
        for (var step = 1; step <= JobBoard.StepsKept + 10; step++) board.Step("j", 1, step, JobBoard.StepsKept + 10, 1.0 / step);
        board.Epoch("j", Report(1, 0.5), 3);
        board.Epoch("j", Report(1, 0.4), 3); // epoch 1 again, after a recovery
        board.Step("j", 2, 1, 5, 0.3);

        var job = Assert.Single(board.Snapshot());
        Assert.Equal((2, 3, 1, 5, "running"), (job.Epoch, job.Epochs, job.Step, job.Steps, job.State));
        Assert.Equal(JobBoard.StepsKept, job.Losses.Length); // the last steps only
        var point = Assert.Single(job.Points);
        Assert.Equal(0.4, point.TrainLoss);
        Assert.Equal(100, point.ComputeMs); // 0.5 s over 5 steps
        Assert.Null(point.NoiseScale); // not finite: left out of the JSON
        Assert.Equal(["a", "b"], job.WorkerSilos);

        board.Epoch("j", Report(2, 0.3), 3); // an epoch with no step event sampled still moves the job on
        board.Epoch("j", Report(3, 0.2), 3);
        Assert.Equal((3, 5, 5), (board.Snapshot()[0].Epoch, board.Snapshot()[0].Step, board.Snapshot()[0].Steps));

        board.Ended("j", "finished");
        Assert.Equal("finished", board.Snapshot()[0].State);
    }
}
