using Trainer.Core;
using Trainer.Grains;
using Trainer.Grains.Admission;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;

namespace Trainer.Client.Cluster;

/// <summary>
/// A cluster's jobs as 'trainer status' and 'trainer dashboard --cluster' show them: the registry's
/// list, newest first, with running jobs asked for their live position (the registry's last report
/// stands in for one that does not answer).
/// </summary>
public static class ClusterJobs
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The jobs this caller may see; those of other certificates only counted.</summary>
    public static async Task<JobList> ReadAsync(ClusterConnection connection, CancellationToken cancellation)
    {
        var list = await connection.Grains.GetGrain<IJobRegistryGrain>(0).List(connection.Prove(CallerProof.Status, CallerProof.AllJobs));
        var asked = await Task.WhenAll(list.Jobs.Select(async job =>
        {
            if (job.State != JobStatus.Running) return job;
            try { return await connection.Grains.GetGrain<IParameterServerGrain>(job.Job).Status(connection.Prove(CallerProof.Status, job.Job)).WaitAsync(AskTimeout, cancellation) ?? job; }
            catch (Exception e) when (ClusterFaults.IsLoss(e)) { return job; }
            // the server refuses where the registry did not (the silos' operators files differ during a rolling
            // restart, or the registry's row names no owner): one more job of another certificate, not a failed status
            catch (UserInputException) { return null; }
        }));
        return new JobList(asked.OfType<JobStatus>().ToArray(), list.OthersRunning + asked.Count(j => j is null), list.OthersEnded);
    }
}
