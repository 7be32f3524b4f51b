using Trainer.Grains.Messages;

namespace Trainer.Grains;

/// <summary>
/// The jobs a cluster has run, for <c>trainer status</c>: each parameter server reports its job
/// when it starts or resumes, at every epoch's end, and when it finishes, fails or is cancelled.
/// It calls no grain. Kept in memory: if its silo is lost, running jobs report again at their next
/// epoch. One per cluster (key 0).
/// </summary>
[Alias("trainer.job-registry")]
public interface IJobRegistryGrain : IGrainWithIntegerKey
{
    [Alias("report"), Admission.ClusterInternal]
    Task Report(JobStatus status);

    /// <summary>
    /// The jobs reported, newest first, that <paramref name="caller"/> may see (on a mutual-TLS cluster its
    /// certificate's, or all to an operator), and how many others run and ended.
    /// </summary>
    [Alias("list")]
    Task<JobList> List(Admission.CallerProof? caller = null);

    /// <summary>A silo is about to stop: every running job moves its workers off it; returns when they have (or when a job did not answer in time).</summary>
    [Alias("silo-leaving"), ResponseTimeout("00:01:00"), Orleans.Concurrency.AlwaysInterleave, Admission.ClusterInternal]
    Task SiloLeaving(SiloAddress silo, TimeSpan patience);
}
