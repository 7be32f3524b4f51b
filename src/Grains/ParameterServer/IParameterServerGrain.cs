using Orleans.Concurrency;
using Trainer.Grains.Admission;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// Holds one job's parameters and optimiser state and runs its training loop: each step it sends
/// the workers the weights, combines their partial gradient sums in a fixed order and applies the
/// update; each epoch it has the workers score the held-out data with its weights and lets early
/// stopping decide. It keeps its whole state in a checkpoint and can continue from there. Keyed by the job id.
/// </summary>
[Alias("trainer.parameter-server")]
public interface IParameterServerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the job: its workers load their data and partitions; the weights are initialised and
    /// checkpointed. On a mutual-TLS cluster the job belongs to the certificate <paramref name="caller"/> proves.
    /// </summary>
    [Alias("start"), ResponseTimeout("00:10:00")]
    Task<JobInfo> Start(JobSpec spec, CallerProof? caller = null);

    /// <summary>Continues the job from its last checkpoint (after this grain, its silo or the client was lost); on a mutual-TLS cluster, for its owner or an operator only.</summary>
    [Alias("resume"), ResponseTimeout("00:10:00")]
    Task<ResumeInfo> Resume(CallerProof? caller = null);

    /// <summary>Runs the training loop from where the job stands, streaming its events; the last one is the outcome. On a mutual-TLS cluster, for its owner or an operator only.</summary>
    [Alias("run")]
    IAsyncEnumerable<LoopEvent> Run(CallerProof? caller = null, CancellationToken cancellation = default);

    /// <summary>The job's result once its loop is done: the best epoch's weights (or the last, when early stopping keeps none). On a mutual-TLS cluster, for its owner or an operator only.</summary>
    [Alias("result")]
    Task<FloatVector> Result(CallerProof? caller = null);

    /// <summary>Where the job stands now (null when this activation runs no job); answered between steps, even during an epoch. On a mutual-TLS cluster, for its owner or an operator only.</summary>
    [Alias("status"), AlwaysInterleave]
    Task<JobStatus?> Status(CallerProof? caller = null);

    /// <summary>
    /// Stops the job at its next step ('trainer cancel'): the running loop fails with a cancellation; the
    /// checkpoint stays. False when no job runs here. On a mutual-TLS cluster, for its owner or an operator only.
    /// </summary>
    [Alias("cancel"), AlwaysInterleave]
    Task<bool> Cancel(CallerProof? caller = null);

    /// <summary>
    /// A silo is about to stop (SIGTERM, a drain): the job moves its workers off it at its next step
    /// boundary, and the call returns once none is left there. Answered between steps.
    /// </summary>
    [Alias("silo-leaving"), AlwaysInterleave, ResponseTimeout("00:01:00"), ClusterInternal]
    Task SiloLeaving(SiloAddress silo);

    /// <summary>Releases the workers and deletes the job's checkpoint: the job is done. Returns a warning when the checkpoint could not be deleted. On a mutual-TLS cluster, for its owner or an operator only.</summary>
    [Alias("finish")]
    Task<string?> Finish(CallerProof? caller = null);
}
