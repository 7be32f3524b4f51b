using Trainer.Core.Data;
using Trainer.Core.Training;

namespace Trainer.Grains.Messages;

/// <summary>
/// A training job as the client submits it to the parameter server: data, hyper-parameters, mode,
/// workers, and its fault tolerance (a checkpoint every so many steps besides every epoch end; how
/// long a step may take before its work is retried on fresh worker activations).
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.job-spec")]
public sealed record JobSpec(string Job, DataSpec Data, TrainOptions Options, string Mode, int Workers, int Staleness, string Kernel,
    int CheckpointEvery = 0, double StepTimeoutSeconds = 10, int PsShards = 1, string? ClientProcess = null, string? Owner = null,
    bool Rebalance = true, string Wire = JobWire.Float32, int AverageEvery = JobSpec.DefaultAverageEvery)
{
    // Owner: on a mutual-TLS cluster, the SHA-256 fingerprint of the certificate that started the job,
    // set by the parameter server from the starter's proof (what a client puts here is ignored).
    // Rebalance: sync mode cuts the partitions again by the workers' measured speeds (same bits).
    // Wire: how the workers' gradient sums travel (JobWire).
    // AverageEvery: local-sgd mode's steps between two averagings of the workers' weights.

    /// <summary>This process, as <see cref="DataShape.Process"/> names one.</summary>
    public static string ThisProcess => $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Workers 0: as many as the cluster has silos, up to the partitions, following the cluster.</summary>
    public const int AutoWorkers = 0;

    public const int DefaultAverageEvery = 8;
}

/// <summary>
/// How a job's steps are synchronised: sync (bit-identical to the reference trainer), async (each
/// gradient applied on arrival), ssp (async within a staleness bound), local-sgd (each worker takes
/// --average-every steps of its own SGD, then the server averages what they moved the weights by).
/// </summary>
public static class JobMode
{
    public const string Sync = "sync", Async = "async", Ssp = "ssp", LocalSgd = "local-sgd";
    public static IReadOnlyList<string> Kinds { get; } = [Sync, Async, Ssp, LocalSgd];
}

/// <summary>
/// How the workers' gradient sums travel to the server: float32 (lossless: the reference's bits), or
/// bf16 (half the bytes; each worker rounds its block sums to bfloat16 with error feedback, so the
/// weights are reproducible run to run for the same workers and cut, but not the reference's: docs/architecture.md).
/// </summary>
public static class JobWire
{
    public const string Float32 = "float32", Bfloat16 = "bf16";
    public static IReadOnlyList<string> Kinds { get; } = [Float32, Bfloat16];
}
