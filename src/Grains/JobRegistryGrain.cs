using Trainer.Grains.Messages;

namespace Trainer.Grains;

/// <inheritdoc cref="IJobRegistryGrain"/>
public sealed class JobRegistryGrain(Admission.JobOwnership ownership) : Grain, IJobRegistryGrain
{
    private const int MaxJobs = 200;
    private readonly Dictionary<string, JobStatus> _jobs = [];

    public Task Report(JobStatus status)
    {
        _jobs[status.Job] = status;
        if (_jobs.Count > MaxJobs) // the oldest finished jobs go first
            foreach (var old in _jobs.Values.Where(j => j.State != JobStatus.Running).OrderBy(j => j.UpdatedUtc).Take(_jobs.Count - MaxJobs).ToList())
                _jobs.Remove(old.Job);
        return Task.CompletedTask;
    }

    public Task<JobList> List(Admission.CallerProof? caller = null)
    {
        var viewer = ownership.Caller(caller, Admission.CallerProof.Status, Admission.CallerProof.AllJobs); // the check comes first: a refusal sees nothing
        var (mine, others) = (new List<JobStatus>(), new List<JobStatus>());
        foreach (var job in _jobs.Values.OrderByDescending(j => j.StartedUtc)) (ownership.May(viewer, job.Owner) ? mine : others).Add(job);
        return Task.FromResult(new JobList([.. mine], others.Count(j => j.State == JobStatus.Running), others.Count(j => j.State != JobStatus.Running)));
    }

    public async Task SiloLeaving(SiloAddress silo, TimeSpan patience)
    {
        var running = _jobs.Values.Where(j => j.State == JobStatus.Running).Select(j => GrainFactory.GetGrain<ParameterServer.IParameterServerGrain>(j.Job)).ToArray();
        await Task.WhenAll(running.Select(async server =>
        {
            try { await server.SiloLeaving(silo).WaitAsync(patience); }
            catch (Exception e) when (Hosting.ClusterFaults.IsLoss(e) || e is OrleansException) { /* a job that cannot answer loses the silo's workers as to a crash */ }
        }));
    }
}
