using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Messages;

// Core types inside these messages (DataSpec, TrainOptions, Preprocessor, MetricSums) travel as
// JSON, and those holding vectors through surrogates with raw float32 blocks (TrainerSerialization).

/// <summary>What a worker needs to load its job's data (shared by the workers of a process) and to name its kernel.</summary>
[GenerateSerializer, Immutable, Alias("trainer.worker-load")]
public sealed record WorkerLoad(string Job, DataSpec Data, TrainOptions Options, string Kernel);

/// <summary>
/// A worker's part of a job, as the parameter server assigns it: partitions [FirstPartition, FirstPartition + PartitionCount).
/// <paramref name="ServerHere"/>: the server runs in the worker's process and reads a sync step's sums before it calls
/// again, so they go by handle (Transport/ProcessVectors.cs). <paramref name="Wire"/>: how its sums travel (<see cref="JobWire"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.worker-setup")]
public sealed record WorkerSetup(string Job, int Index, int Workers, int FirstPartition, int PartitionCount, DataSpec Data, TrainOptions Options, string Kernel,
    bool ServerHere = false, int MaxBatch = 0, string Wire = JobWire.Float32);

/// <summary>
/// The data as a worker loaded it, and where the worker runs: its silo, its process (machine and
/// id: silos of one process share its memory) and the memory its silo can give the job
/// (<c>Room</c> says what has it: the machine, or the silo's --memory-limit).
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.data-shape")]
public sealed record DataShape(
    string Name, int Features, int Classes, int TrainRows, int ValidationRows, int TestRows,
    Preprocessor Preprocessor, double TestFraction, string Kernel, string KernelIdentity, string Silo, string Process, long AvailableBytes, string[]? ClassNames = null, string? Room = null,
    int[]? ImageShape = null, double[]? MissingMeans = null)
{
    /// <summary>The bytes a data set holds in memory: its features and labels as float32.</summary>
    public static long BytesOf(Core.Data.PreparedData data) =>
        new[] { data.Train, data.Validation, data.Test }.Sum(d => d is null ? 0 : ((long)d.Count * d.Features + d.Count) * sizeof(float));
}

/// <summary>A started job: its data, model size, schedule, where its workers run and the first of each worker's partitions.</summary>
[GenerateSerializer, Immutable, Alias("trainer.job-info")]
public sealed record JobInfo(DataShape Data, int ParameterCount, int StepsPerEpoch, int Partitions, string ParameterServerSilo, DataShape[] Workers, int[] FirstPartitions);

/// <summary>A local-sgd round of one worker: what its steps moved the weights by (start − end), their loss sum and rows, and the seconds they took.</summary>
[GenerateSerializer, Immutable, Alias("trainer.local-round")]
public sealed record LocalRound(FloatVector Delta, double Loss, int Rows, double ComputeSeconds);

/// <summary>A worker's evaluation shard: metric sums of consecutive chunks from <c>FirstChunk</c>.</summary>
[GenerateSerializer, Immutable, Alias("trainer.chunk-sums")]
public sealed record ChunkSums(int FirstChunk, MetricSums[] Sums);

/// <summary>A job continued from its checkpoint: the job, where its workers run, and where it stands.</summary>
[GenerateSerializer, Immutable, Alias("trainer.resume-info")]
public sealed record ResumeInfo(JobSpec Spec, JobInfo Info, int CompletedEpochs, int Epoch, int StepInEpoch, long Step, string? Note);

/// <summary>What a parameter-server shard holds: its range of the job's parameters and the update rule's settings for it.</summary>
[GenerateSerializer, Immutable, Alias("trainer.shard-setup")]
public sealed record ShardSetup(string Job, int Shard, int Shards, TrainOptions Options, int Features, int Classes, int Partitions, int[]? ImageShape = null,
    int StepsPerEpoch = 0, long Step = 0);

/// <summary>
/// A shard's step after its part of the reduction tree: whether its slice of the mean gradient is
/// finite, that slice's squared norm (for the noise scale), and for LARS the chunk partials of the
/// squared norms of each tensor part it holds (by whole-tensor index).
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.shard-reduced")]
public sealed record ShardReduced(bool Finite, double MeanSquaredNorm, TensorNormPartials[] Norms);

/// <summary>The chunk partial sums of ‖w‖² and ‖∇w‖² of the part of tensor <c>Tensor</c> inside one shard.</summary>
[GenerateSerializer, Immutable, Alias("trainer.tensor-norm-partials")]
public sealed record TensorNormPartials(int Tensor, double[] Weight, double[] Gradient);

/// <summary>
/// A job as <c>trainer status</c> shows it: its state, where it stands (epoch and step), the best
/// value so far of what early stopping watches (<c>Monitor</c>: loss or accuracy), and where its grains run.
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.job-status")]
public sealed record JobStatus(
    string Job, string State, string Model, string Mode, int Epoch, int Epochs, int StepInEpoch, int StepsPerEpoch, long Step,
    double? BestValidation, int Workers, int PsShards, string ParameterServerSilo, string[] WorkerSilos, DateTime StartedUtc, DateTime UpdatedUtc,
    string Monitor = "loss", string? Owner = null)
{
    // Owner: on a mutual-TLS cluster the fingerprint of the certificate that started the job; only it and the operators see the job
    public const string Running = "running", Finished = "finished", Failed = "failed", Cancelled = "cancelled";
}

/// <summary>
/// What 'trainer status' may see of the cluster's jobs: those of its certificate (all of them to an
/// operator, or on a cluster without TLS), and of the others only how many run and how many ended.
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.job-list")]
public sealed record JobList(JobStatus[] Jobs, int OthersRunning, int OthersEnded);
