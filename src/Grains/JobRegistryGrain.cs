using Trainer.Grains.Messages;

namespace Trainer.Grains;

/// <inheritdoc cref="IJobRegistryGrain"/>
public sealed class JobRegistryGrain : Grain, IJobRegistryGrain
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

    public Task<JobStatus[]> List() => Task.FromResult(_jobs.Values.OrderByDescending(j => j.StartedUtc).ToArray());

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
