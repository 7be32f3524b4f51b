using Trainer.Core;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Train;

/// <summary>
/// A training run as asked for, by train's options or by a point of a sweep: what <see cref="TrainRun"/>
/// runs. Options a cluster run may leave to its cluster are null until the cluster is known.
/// </summary>
public sealed record TrainRequest(DataSpec Data, TrainOptions Options, ClusterSpec Cluster, string Job, string Out)
{
    public string Kernel { get; init; } = "auto";
    public string Mode { get; init; } = JobMode.Sync;
    /// <summary>
    /// Worker grains; null is auto, the default: one per silo the cluster has when the job starts, at
    /// most one per partition. A silo process offers one worker (it is a machine or a core group); an
    /// embedded:N cluster has N silos, so its default stays one per silo.
    /// </summary>
    public int? Workers { get; init; }
    /// <summary>Compute threads per worker (local: for the trainer); null: the cores shared by the workers.</summary>
    public int? Threads { get; init; }
    public int? Staleness { get; init; }
    /// <summary>local-sgd mode: steps between two averagings (null: <see cref="JobSpec.DefaultAverageEvery"/>).</summary>
    public int? AverageEvery { get; init; }
    public int? CheckpointEvery { get; init; }
    public double? StepTimeoutSeconds { get; init; }
    public int PsShards { get; init; } = 1;
    /// <summary>--rebalance on|off (null: not given, on): sync mode cuts the partitions again by the workers' measured speeds.</summary>
    public bool? Rebalance { get; init; }
    public const string On = "on", Off = "off";
    /// <summary>--wire: how the workers' gradient sums travel (<see cref="JobWire"/>).</summary>
    public string Wire { get; init; } = JobWire.Float32;
    public string? CheckpointDir { get; init; }
    public TlsSettings? Tls { get; init; }

    /// <summary>--workers auto: <see cref="Workers"/> null.</summary>
    public const string AutoWorkers = "auto";
    public const int DefaultStaleness = 2;
    public const double DefaultStepTimeoutSeconds = 10;

    /// <summary>A generated job name: the time and four random hex digits.</summary>
    public static string NewJob() => $"job-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";

    public static string NewOut() => Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));

    /// <summary>What only the request as a whole can say is wrong: options the cluster or the mode does not have.</summary>
    public TrainRequest Validated()
    {
        if (Options.Target is not null && Data.ValFraction == 0)
            throw new UserInputException("--target is a validation accuracy: it needs --val-fraction above 0");
        if (Cluster.IsLocal && (Workers is not null || Mode != JobMode.Sync || CheckpointEvery is not (null or 0) ||
                                StepTimeoutSeconds is not null && StepTimeoutSeconds != DefaultStepTimeoutSeconds)) // given at their defaults, they ask nothing of a cluster
            throw new UserInputException("--workers, --mode, --checkpoint-every and --step-timeout need a cluster: --cluster local is the single-process trainer");
        if (Workers > Options.Partitions)
            throw new UserInputException($"--workers {Workers}: must be at most {Options.Partitions}");
        if (Cluster.IsLocal && PsShards != 1)
            throw new UserInputException("--ps-shards splits a cluster's parameter server: --cluster local has none");
        if (PsShards > 1 && Mode != JobMode.Sync)
            throw new UserInputException($"--ps-shards {PsShards} works with --mode sync; this job's mode is {Mode}");
        if (Options.AutoBatch is not null && (Mode != JobMode.Sync || PsShards != 1))
            throw new UserInputException($"--batch auto works with --mode sync on one parameter server; this job has --mode {Mode}{(PsShards != 1 ? $", --ps-shards {PsShards}" : "")}");
        if (Rebalance == true && (Mode != JobMode.Sync || PsShards != 1))
            throw new UserInputException($"--rebalance on works with --mode sync on one parameter server; this job has --mode {Mode}{(PsShards != 1 ? $", --ps-shards {PsShards}" : "")}");
        if (Cluster.IsLocal && Wire != JobWire.Float32)
            throw new UserInputException($"--wire {Wire} rounds what workers send a cluster's parameter server: --cluster local has no wire (its weights are the float32 reference)");
        if (Wire != JobWire.Float32 && Rebalance == true)
            throw new UserInputException($"--wire {Wire} with --rebalance on: a moved cut rounds other block sums, and the runs would not repeat; leave --rebalance off");
        if (AverageEvery is not null && Mode != JobMode.LocalSgd)
            throw new UserInputException($"--average-every sets --mode local-sgd's rounds; this job's mode is {Mode}");
        if (Mode == JobMode.LocalSgd && Wire != JobWire.Float32)
            throw new UserInputException($"--wire {Wire} rounds sync steps' gradient sums; --mode local-sgd sends each round's weight moves as float32");
        if (Staleness is not null && Mode != JobMode.Ssp)
            throw new UserInputException($"--staleness bounds --mode ssp; this job's mode is {Mode}");
        if (CheckpointDir is not null && Cluster.Kind != ClusterSpec.Embedded)
            throw new UserInputException($"--checkpoint-dir applies to embedded clusters; with --cluster {Cluster} give it to the silos ('Trainer.Silo --checkpoint-dir')");
        if (CheckpointDir is not null && File.Exists(CheckpointDir))
            throw new UserInputException($"--checkpoint-dir {CheckpointDir}: is a file, expected a folder");
        ClusterConnection.CheckTls(Cluster, Tls);
        Output.RunOutput.CheckTarget(Out);
        return this;
    }

    /// <summary>
    /// The job a cluster runs. Without --workers its parameter server gives it as many workers as the
    /// cluster has silos, up to the partitions, and follows the cluster as silos come and go; the
    /// threads per worker default to the cores the silos of this machine share. A lossy wire keeps the
    /// cut where it is (the rebalancer's default is off), so that its runs repeat.
    /// </summary>
    public JobSpec ToJob(int silos)
    {
        var threads = Threads ?? Math.Max(1, Environment.ProcessorCount / (Workers ?? Math.Min(silos, Options.Partitions)));
        return new JobSpec(Job, Data, Options with { Threads = threads }, Mode, Workers ?? JobSpec.AutoWorkers, Staleness ?? DefaultStaleness, Kernel,
            CheckpointEvery ?? 0, StepTimeoutSeconds ?? DefaultStepTimeoutSeconds, PsShards, JobSpec.ThisProcess, Rebalance: Rebalance ?? Wire == JobWire.Float32, Wire: Wire,
            AverageEvery: AverageEvery ?? JobSpec.DefaultAverageEvery);
    }
}
