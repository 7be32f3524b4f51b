using Orleans.Concurrency;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>
/// Holds one job's parameters and optimiser state and drives its workers: it sends them the weights,
/// combines their partial gradient sums in a fixed order and applies the update. It checkpoints its
/// state through grain storage and can continue from there. Keyed by the job id.
/// </summary>
[Alias("trainer.parameter-server")]
public interface IParameterServerGrain : IGrainWithStringKey
{
    /// <summary>Creates the job: its workers load their data and partitions; the weights are initialised and checkpointed.</summary>
    [Alias("start"), ResponseTimeout("00:10:00")]
    Task<JobInfo> Start(JobSpec spec);

    /// <summary>Continues the job from its last checkpoint (after this grain, its silo or the client was lost).</summary>
    [Alias("resume"), ResponseTimeout("00:10:00")]
    Task<ResumeInfo> Resume();

    /// <summary>Runs the remaining steps of an epoch, streaming progress; the last item carries the epoch's statistics.</summary>
    [Alias("run-epoch")]
    IAsyncEnumerable<EpochProgress> RunEpoch(int epoch, CancellationToken cancellation = default);

    /// <summary>The current weights.</summary>
    [Alias("weights")]
    Task<FloatVector> GetWeights();

    /// <summary>The workers' metric sums of the validation or test set, each worker's chunks in order.</summary>
    [Alias("evaluate"), ResponseTimeout("00:10:00")]
    Task<ChunkSums[]> Evaluate(DataPart part, FloatVector weights);

    /// <summary>Keeps the training loop's state (and new best weights) in a checkpoint at the end of an epoch.</summary>
    [Alias("epoch-completed")]
    Task EpochCompleted(LoopState loop, FloatVector? newBestWeights);

    /// <summary>Where the job stands now (null when this activation runs no job); answered between steps, even during an epoch.</summary>
    [Alias("status"), AlwaysInterleave]
    Task<JobStatus?> Status();

    /// <summary>Stops the job at its next step ('trainer cancel'): the running epoch fails with a cancellation; the checkpoint stays. False when no job runs here.</summary>
    [Alias("cancel"), AlwaysInterleave]
    Task<bool> Cancel();

    /// <summary>Releases the workers and deletes the job's checkpoint: the job is done.</summary>
    [Alias("finish")]
    Task Finish();
}
