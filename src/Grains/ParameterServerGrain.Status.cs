using Microsoft.Extensions.Logging;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Grains;

/// <summary>What 'trainer status' sees of the job, and 'trainer cancel'.</summary>
public sealed partial class ParameterServerGrain
{
    public Task<JobStatus?> Status() => Task.FromResult(_job is { } job ? StatusOf(job) : null);

    public Task<bool> Cancel()
    {
        if (_job is not { State: JobStatus.Running } job) return Task.FromResult(false);
        job.State = JobStatus.Cancelled;
        ReportStatus(job);
        logger.LogInformation("job {Job} cancelled at epoch {Epoch}, step {Step}", job.Spec.Job, job.Epoch, job.Step);
        return Task.FromResult(true);
    }

    private JobStatus StatusOf(Job job)
    {
        var best = job.Loop.Stopping.BestScore;
        return new JobStatus(job.Spec.Job, job.State, job.Network.Spec.ToString(), job.Spec.Mode, job.Epoch, job.Spec.Options.Epochs, job.StepInEpoch, job.StepsPerEpoch,
            job.Step, double.IsFinite(best) ? best : null, job.Workers.Length, job.Spec.PsShards, silo.SiloAddress.ToString(),
            job.Info.Workers.Select(w => w.Silo).ToArray(), job.StartedUtc, DateTime.UtcNow);
    }

    /// <summary>Tells the cluster's job registry where this job stands; a lost registry only costs 'trainer status' a line until the next report.</summary>
    private void ReportStatus(Job job) => _ = Quietly(grains.GetGrain<IJobRegistryGrain>(0).Report(StatusOf(job)));

    /// <summary>Stops a cancelled job between steps; a failed step marks the job failed for 'trainer status'.</summary>
    private void EnsureRunning(Job job)
    {
        if (job.State == JobStatus.Cancelled)
            throw new JobFaultException(JobFaultException.Cancelled,
                $"job {job.Spec.Job} was cancelled ('trainer cancel') at epoch {job.Epoch}, step {job.Step}; its checkpoint is kept: 'trainer resume --job {job.Spec.Job}' continues it");
    }

    private async Task<T> Failing<T>(Job job, Func<Task<T>> step)
    {
        try { return await step(); }
        catch (JobFaultException e) when (e.Kind != JobFaultException.Cancelled)
        {
            job.State = JobStatus.Failed;
            ReportStatus(job);
            throw;
        }
    }
}
