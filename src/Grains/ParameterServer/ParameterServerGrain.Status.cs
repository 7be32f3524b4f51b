using Trainer.Grains.Admission;
using Trainer.Grains.Messages;
using Trainer.Grains.Workers;

namespace Trainer.Grains.ParameterServer;

/// <summary>What 'trainer status' sees of the job, and 'trainer cancel'.</summary>
public sealed partial class ParameterServerGrain
{
    public Task<JobStatus?> Status(CallerProof? caller = null)
    {
        if (_job is not { } job) return Task.FromResult<JobStatus?>(null);
        Authorize(caller, CallerProof.Status, job.Spec);
        return Task.FromResult<JobStatus?>(job.ToStatus(silo.SiloAddress.ToString()));
    }

    public Task<bool> Cancel(CallerProof? caller = null)
    {
        if (_job is not { Status: JobStatus.Running } job) return Task.FromResult(false);
        Authorize(caller, CallerProof.Cancel, job.Spec);
        job.Status = JobStatus.Cancelled;
        ReportStatus(job);
        JobCancelled(job.Spec.Job, job.State.Epoch, job.State.Update!.Step);
        return Task.FromResult(true);
    }

    /// <summary>Only the job's owner or an operator may act on it (mutual TLS); a refusal is also in the silo's log, which operators read.</summary>
    private void Authorize(CallerProof? caller, string action, JobSpec spec)
    {
        try { ownership.EnsureMay(caller, action, spec.Job, spec.Owner); }
        catch (Core.UserInputException e)
        {
            switch (refusals.Budget.Take(out var unlogged)) // a caller who keeps asking gets the log ten lines a minute
            {
                case Hosting.LogBudget.Verdict.Log:
                    if (unlogged > 0) RefusalsNotLogged(unlogged, Hosting.LogBudget.Window.TotalSeconds);
                    ActionRefused(spec.Job, action, e.Message);
                    break;
                case Hosting.LogBudget.Verdict.LogLast:
                    ActionRefused(spec.Job, action, e.Message);
                    RefusalLimitReached(Hosting.LogBudget.DefaultLimit, Hosting.LogBudget.Window.TotalSeconds);
                    break;
            }
            throw;
        }
    }

    public Task SiloLeaving(SiloAddress leaving) =>
        // a job whose server is on the leaving silo cannot move itself: it is resumed elsewhere once the silo is gone
        _job is not { Status: JobStatus.Running } || leaving.Equals(silo.SiloAddress) ? Task.CompletedTask : _cluster.Leaving(leaving);

    /// <summary>Tells the cluster's job registry where this job stands; a lost registry only costs 'trainer status' a line until the next report.</summary>
    private void ReportStatus(ServerJob job) => _ = WorkerPool.Quietly(grains.GetGrain<IJobRegistryGrain>(0).Report(job.ToStatus(silo.SiloAddress.ToString())));
}
