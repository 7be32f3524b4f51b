using Trainer.Client.Cluster;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Grains.Tests;

/// <summary>
/// A fault that is neither the job's (bad input, divergence) nor the cluster's (a lost silo or
/// connection, a timeout) is a bug: the job fails at once, with the real exception, and nothing is
/// retried or resumed.
/// </summary>
public sealed class UnexpectedFaultTests
{
    /// <summary>Makes every ComputeGradient of a worker fail as a bug in it would.</summary>
    private sealed class BuggyWorker : IIncomingGrainCallFilter
    {
        public int Calls;

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name != "ComputeGradient") return context.Invoke();
            Interlocked.Increment(ref Calls);
            throw new InvalidOperationException("injected: a bug in the worker's gradient");
        }
    }

    [Fact]
    public async Task A_worker_that_throws_an_unexpected_exception_fails_the_job_at_once_with_exit_1_and_the_exception()
    {
        var bug = new BuggyWorker();
        await using var cluster = await EmbeddedCluster.StartAsync(2, configure: silo => silo.AddIncomingGrainCallFilter(bug));
        var spec = new JobSpec("buggy-" + Guid.NewGuid().ToString("N")[..6], new DataSpec("digits"), new TrainOptions { Hidden = [16], Epochs = 2, Threads = 1 },
            JobMode.Sync, Workers: 2, Staleness: 0, Kernel: "openblas");
        var job = await ClusterJob.StartAsync(cluster.Grains, spec);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => job.RunAsync(SilentObserver.Instance, CancellationToken.None));

        Assert.Equal(2, bug.Calls); // each worker asked once: no replacement, no retry
        Assert.Equal(0, job.Recoveries); // and no resume of the server
        var errors = new StringWriter();
        Assert.Equal(1, Client.Cli.Report(error, errors));
        Assert.StartsWith("internal error (please report it): System.InvalidOperationException: injected: a bug in the worker's gradient", errors.ToString());
        Assert.Contains("   at ", errors.ToString()); // the stack trace is in the log
        var status = await cluster.Grains.GetGrain<ParameterServer.IParameterServerGrain>(spec.Job).Status();
        Assert.Equal(JobStatus.Failed, status!.State);
    }
}
