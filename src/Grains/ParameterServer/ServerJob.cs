using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Trainer.Core;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;
using Trainer.Grains.Workers;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// A job as its parameter server runs it: the <see cref="IEpochRunner"/> that the server's
/// <see cref="TrainingLoop"/> drives. Its state is the grain's (<see cref="JobState"/>, the
/// checkpoint); what it builds from that state lives here: the network, the update over the state's
/// <see cref="UpdateState"/>, the workers and, with --ps-shards, the shards. Its epochs are synchronous
/// (ServerJob.Sync.cs), asynchronous (ServerJob.Async.cs) or sharded (ServerJob.Shards.cs).
/// </summary>
public sealed partial class ServerJob : IEpochRunner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);

    private readonly WorkerPool _pool;
    private readonly Update _update;
    private readonly Func<Task> _checkpoint;

    private ServerJob(JobState state, JobInfo info, Network network, WorkerPool pool, Update update, Func<Task> checkpoint)
    {
        (State, Info, Network, _pool, _update, _checkpoint) = (state, info, network, pool, update, checkpoint);
        var ranges = pool.Ranges;
        // the weights to every worker, and each worker's block sums back
        BytesPerStep = (long)network.ParameterCount * sizeof(float) * (pool.Count + ranges.Sum(r => GradientSums.AlignedBlocks(r.First, r.Count).Count));
    }

    public JobState State { get; }
    public JobSpec Spec => State.Spec!;
    public JobInfo Info { get; }
    public Network Network { get; }
    public int StepsPerEpoch => Info.StepsPerEpoch;
    public float[] Weights => State.Weights!.Values;
    public long BytesPerStep { get; }
    /// <summary>running, finished, failed or cancelled: for 'trainer status'.</summary>
    public string Status { get; set; } = JobStatus.Running;
    public DateTime StartedUtc { get; } = DateTime.UtcNow;
    /// <summary>The norm of the last step's mean gradient, when telemetry listens.</summary>
    public double? LastGradientNorm { get; private set; }
    /// <summary>Set when a resume made this job the current one: an epoch still running for it must stop.</summary>
    public bool Superseded { get; set; }

    /// <summary>
    /// The job of a state (a new one, or a checkpoint's): its workers load the data, its size is
    /// checked, the workers get their partitions, and what the state lacks (a new job's weights,
    /// update and loop) is made.
    /// </summary>
    public static async Task<ServerJob> BuildAsync(IGrainFactory grains, JobState state, string silo, ILogger logger, Func<Task> checkpoint)
    {
        var spec = state.Spec!;
        var pool = new WorkerPool(grains, spec, state.Generations ??= new int[spec.Workers], logger);
        var shapes = await pool.LoadAsync();
        var shape = shapes[0];
        if (shapes.Any(s => s.TrainRows != shape.TrainRows || s.Features != shape.Features || s.Classes != shape.Classes))
            throw new UserInputException($"--data {spec.Data.Data}: the silos read different data ({string.Join("; ", shapes.Select(s => $"{s.Silo}: {s.TrainRows} rows"))}); give a path every silo reads identically");

        if (spec.Mode == JobMode.Sync && shapes.Select(s => s.KernelIdentity).Distinct().Count() > 1)
            throw new UserInputException($"--kernel {spec.Kernel}: the workers compute with different kernels ({string.Join("; ", shapes.Select(s => $"{s.Silo}: {s.KernelIdentity}").Distinct())}); " +
                                         "a sync job's bits depend on the kernel, so every worker must use the same: give the silos the same library and instruction sets, or --kernel managed");

        var options = spec.Options;
        var network = new Network(ReferenceTrainer.SpecFor(options, shape.Features, shape.Classes, shape.Preprocessor));
        var plan = new PartitionPlan(shape.TrainRows, options.Partitions, options.Batch, options.Seed);
        var shardPlan = spec.PsShards > 1 ? new ShardPlan(network.ParameterCount, spec.PsShards) : null;
        pool.Assign(plan.Partitions);
        JobMemory.EnsureFits(spec, network, plan, pool.Ranges, shapes);
        await pool.SetupAsync();

        state.Weights ??= new FloatVector(network.Initialise(options.Seed));
        state.Loop ??= new LoopState();
        var update = new Update(network, options, plan.Partitions, plan.StepsPerEpoch, state.Update);
        state.Update = update.State;
        var info = new JobInfo(shape, network.ParameterCount, plan.StepsPerEpoch, plan.Partitions, silo, shapes, pool.Ranges.Select(r => r.First).ToArray());
        var job = new ServerJob(state, info, network, pool, update, checkpoint);
        if (shardPlan is not null) await job.LoadShardsAsync(grains, shardPlan);
        return job;
    }

    public IAsyncEnumerable<EpochProgress> RunEpochAsync(int epoch, ActivityContext parent, CancellationToken cancellation)
    {
        if (State.Epoch != epoch) (State.Epoch, State.StepInEpoch, State.Totals) = (epoch, 0, new EpochTotals());
        return Spec.Mode == JobMode.Sync ? RunSyncEpoch(epoch, parent, cancellation) : RunAsyncEpoch(epoch, parent, cancellation);
    }

    /// <summary>The workers score their chunks with the server's weights (sent once per version) or the best copy, combined in chunk order.</summary>
    public async Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation)
    {
        var version = ReferenceEquals(weights, Weights) ? State.Version : -1; // the best copy has no version: sent every time
        var vector = version >= 0 ? State.Weights! : new FloatVector(weights);
        var chunks = await _pool.CallAsync((w, worker) => worker.Evaluate(part, version, version >= 0 ? _pool.WeightsFor(w, version, vector) : vector));
        _pool.HoldAll(version);
        return Evaluator.Combine(chunks.OrderBy(c => c.FirstChunk).SelectMany(c => c.Sums));
    }

    public Task EpochJudgedAsync(CancellationToken cancellation) => _checkpoint();

    /// <summary>The job's result: the best epoch's weights when early stopping kept them, else the last.</summary>
    public float[] FinalWeights => TrainingLoop.FinalWeights(this, State.Loop!);

    /// <summary>Where the job stands, for 'trainer status'.</summary>
    public JobStatus ToStatus(string silo)
    {
        var best = State.Loop!.Stopping.BestScore;
        return new JobStatus(Spec.Job, Status, Network.Spec.ToString(), Spec.Mode, State.Epoch, Spec.Options.Epochs, State.StepInEpoch, StepsPerEpoch,
            _update.State.Step, double.IsFinite(best) ? best : null, _pool.Count, Spec.PsShards, silo, Info.Workers.Select(w => w.Silo).ToArray(), StartedUtc, DateTime.UtcNow);
    }

    public async Task ReleaseAsync()
    {
        await _pool.ReleaseAsync();
        if (_shards is { } shards) await Task.WhenAll(shards.Select(s => WorkerPool.Quietly(s.Release())));
    }

    /// <summary>Between steps: a cancelled job stops, and so does an epoch that a resume superseded (two loops must not drive the workers).</summary>
    private void EnsureActive()
    {
        if (Superseded) throw new OperationCanceledException($"job {Spec.Job}: this epoch was superseded by a resume");
        if (Status == JobStatus.Cancelled)
            throw new Hosting.JobFaultException(Hosting.JobFaultException.Cancelled,
                $"job {Spec.Job} was cancelled ('trainer cancel') at epoch {State.Epoch}, step {_update.State.Step}; its checkpoint is kept: 'trainer resume --job {Spec.Job}' continues it");
    }

    private bool ProgressDue(Stopwatch sinceProgress)
    {
        if (sinceProgress.Elapsed < ProgressInterval || State.StepInEpoch >= StepsPerEpoch) return false;
        sinceProgress.Restart();
        return true;
    }

    private EpochProgress EpochEnd(int epoch) =>
        new(StepsPerEpoch, StepsPerEpoch, State.Totals.LastLoss, State.Totals.Stats(epoch, StepsPerEpoch, _update.LastLearningRate, _update.NoiseScale));
}
