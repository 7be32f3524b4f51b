using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Workers;

/// <summary>
/// Owns a contiguous range of a job's partitions: loads the data where its silo runs (training data
/// never travels), computes its partitions' gradient sums and scores its shard of held-out data,
/// with the weights it is sent (it keeps the last version it was sent, so they need not be sent
/// again). Keyed "job/index".
/// </summary>
[Alias("trainer.worker"), Admission.ClusterInternal]
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Loads the job's data (shared by the workers of a process) and says what it is and where this worker runs; allocates nothing else.</summary>
    [Alias("load"), ResponseTimeout("00:10:00")]
    Task<DataShape> Load(WorkerLoad load);

    /// <summary>Sets up the partitions the parameter server assigned to this worker (their gradient buffers).</summary>
    [Alias("setup"), ResponseTimeout("00:02:00")]
    Task Setup(WorkerSetup setup);

    /// <summary>
    /// The gradient sums of this worker's partitions for one step of an epoch, with the weights of
    /// <paramref name="version"/>: those sent, or (null) those it holds. <paramref name="batch"/> is the
    /// epoch's global batch (--batch auto changes it at epoch boundaries; the partitions stay).
    /// </summary>
    [Alias("gradient"), ResponseTimeout("00:05:00")]
    Task<StepSums> ComputeGradient(int epoch, int step, int batch, long version, FloatVector? weights);

    /// <summary>
    /// The same with a sharded parameter server: pulls the weights from the shards, computes, pushes
    /// each shard its slice of the block sums, and returns the rest (losses, norms, rows) without vectors.
    /// </summary>
    [Alias("gradient-sharded"), ResponseTimeout("00:05:00")]
    Task<StepSums> ComputeShardedGradient(int epoch, int step, long globalStep, IParameterShardGrain[] shards, int[] shardStarts, SiloAddress[] shardSilos);

    /// <summary>
    /// local-sgd mode: <paramref name="steps"/> steps of this worker's own SGD on its partitions, from step
    /// <paramref name="firstStep"/> of the epoch (global step <paramref name="globalStep"/>, the schedule's
    /// clock) and the weights of <paramref name="version"/> (sent, or held); returns what they moved the weights by.
    /// </summary>
    [Alias("local-round"), ResponseTimeout("00:05:00")]
    Task<LocalRound> ComputeLocalRound(int epoch, int firstStep, int steps, long globalStep, long version, FloatVector? weights);

    /// <summary>Metric sums of this worker's chunks of the validation or test set, scored with the weights of <paramref name="version"/> (sent, or held).</summary>
    [Alias("evaluate"), ResponseTimeout("00:05:00")]
    Task<ChunkSums> Evaluate(DataPart part, long version, FloatVector? weights);

    /// <summary>Drops the job's state; the activation goes away when idle.</summary>
    [Alias("release")]
    Task Release();
}
