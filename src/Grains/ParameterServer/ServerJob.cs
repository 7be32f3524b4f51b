using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Trainer.Core;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Scaling;
using Trainer.Core.Training;
using Trainer.Grains.Admission;
using Trainer.Grains.Checkpoints;
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
    private readonly ClusterView _cluster;
    private readonly Update _update;
    private readonly CheckpointWriter _checkpoints;
    private long _clusterVersion, _placedAt;
    /// <summary>A worker that did not land where it was sent is sent again, but not at every step: each try loads its data.</summary>
    private static readonly TimeSpan UnsettledRetry = TimeSpan.FromSeconds(1);
    private int _deferredBefore, _retriesBefore;
    private readonly PartitionPlan _jobPlan;
    /// <summary>The running epoch's global batch, and under --batch auto its schedule entry.</summary>
    private int _batch;
    private BatchEpoch? _entry;

    private ServerJob(JobState state, JobInfo info, Network network, WorkerPool pool, ClusterView cluster, Update update, CheckpointWriter checkpoints, PartitionPlan plan)
    {
        (State, Info, Network, _pool, _cluster, _update, _checkpoints, _jobPlan) = (state, info, network, pool, cluster, update, checkpoints, plan);
        _clusterVersion = cluster.Version;
        _batch = plan.GlobalBatch;
    }

    public JobState State { get; }
    public JobSpec Spec => State.Spec!;
    public JobInfo Info { get; private set; }
    public Network Network { get; }
    public int StepsPerEpoch => Info.StepsPerEpoch;
    public float[] Weights => State.Weights!.Values;
    /// <summary>
    /// An exchange's bytes: the weights to every worker (float32), and each worker's block sums back (float32,
    /// or bfloat16 with --wire bf16); in local-sgd mode a round's, each worker's move back.
    /// </summary>
    public long BytesPerStep => (long)Network.ParameterCount * (sizeof(float) * _pool.Count + (Spec.Mode == JobMode.LocalSgd ? sizeof(float) * _pool.Count
        : (Spec.Wire == JobWire.Bfloat16 ? 2 : sizeof(float)) * _pool.Ranges.Sum(r => GradientSums.AlignedBlocks(r.First, r.Count).Count)));
    /// <summary>running, finished, failed or cancelled: for 'trainer status'.</summary>
    public string Status { get; set; } = JobStatus.Running;
    public DateTime StartedUtc { get; } = DateTime.UtcNow;
    /// <summary>The norm of the last step's mean gradient, when telemetry listens.</summary>
    public double? LastGradientNorm { get; private set; }
    /// <summary>Set when a resume made this job the current one: an epoch still running for it must stop.</summary>
    public bool Superseded { get; set; }

    /// <summary>
    /// The job of a state (a new one, or a checkpoint's): its workers load the data, its size is
    /// checked against what the silos give (and the server's part reserved on its own silo), the
    /// workers get their partitions, and what the state lacks (a new job's weights, update and loop)
    /// is made. A job that cannot be built lets its workers go at once: a refused job holds no place.
    /// </summary>
    public static async Task<ServerJob> BuildAsync(IGrainFactory grains, JobState state, string silo, ClusterView cluster, ILogger logger, CheckpointWriter checkpoints,
        SiloAdmission admission)
    {
        var spec = state.Spec!;
        var pool = new WorkerPool(grains, spec, state.Generations ?? [], logger, cluster.Usable);
        try
        {
            return await BuildAsync(grains, state, silo, cluster, checkpoints, admission, pool);
        }
        catch
        {
            admission.Leave(spec.Job, SiloAdmission.ServerHolder(spec.Job));
            await pool.ReleaseAsync();
            throw;
        }
    }

    private static async Task<ServerJob> BuildAsync(IGrainFactory grains, JobState state, string silo, ClusterView cluster, CheckpointWriter checkpoints,
        SiloAdmission admission, WorkerPool pool)
    {
        var spec = state.Spec!;
        var notes = await pool.PlaceAsync(spec.Options.Partitions);
        var shapes = pool.Shapes;
        var shape = shapes[0];

        var options = spec.Options;
        var network = new Network(ReferenceTrainer.SpecFor(options, shape.Features, shape.Classes, shape.Preprocessor, shape.ImageShape));
        var plan = new PartitionPlan(shape.TrainRows, options.Partitions, options.Batch, options.Seed);
        var shardPlan = spec.PsShards > 1 ? new ShardPlan(network.ParameterCount, spec.PsShards) : null;
        var room = (admission.Available(), admission.Describe());
        if (options.AutoBatch is { } auto)
        {
            if (spec.Mode != JobMode.Sync || spec.PsShards > 1)
                throw new UserInputException($"--batch auto runs in --mode sync on an unsharded parameter server; this job has --mode {spec.Mode}, --ps-shards {spec.PsShards}");
            if (state.BatchSchedule is null) // resolved once, then recorded: a resume on other machines keeps the range
            {
                var (min, max) = auto.Resolve(shape.TrainRows, options.Partitions, options.Batch, b => Fits(spec, network, plan.WithBatch(b), pool, shapes, room));
                state.BatchSchedule = new BatchScheduleState { Min = min, Max = max, Start = options.Batch };
            }
            pool.MaxBatch = state.BatchSchedule.Max;
            JobMemory.EnsureFits(spec, network, plan.WithBatch(state.BatchSchedule.Max), pool.Ranges, shapes, room);
        }
        else JobMemory.EnsureFits(spec, network, plan, pool.Ranges, shapes, room);
        admission.Reserve(spec.Job, SiloAdmission.ServerHolder(spec.Job), silo, JobMemory.ServerBytes(spec, network, pool.Ranges));
        await pool.SetupAsync();

        state.Weights ??= new FloatVector(network.Initialise(options.Seed));
        state.Loop ??= new LoopState();
        state.Generations = pool.Generations;
        var update = new Update(network, options, plan.Partitions, plan.StepsPerEpoch, state.Update, threads: Environment.ProcessorCount); // the workers wait for it: every core
        state.Update = update.State;
        var running = state.BatchSchedule?.Of(state.Epoch) is { } entry ? plan.WithBatch(entry.Batch) : plan; // a resumed --batch auto epoch: its own steps
        var info = new JobInfo(shape, network.ParameterCount, running.StepsPerEpoch, plan.Partitions, silo, shapes, pool.Ranges.Select(r => r.First).ToArray());
        var job = new ServerJob(state, info, network, pool, cluster, update, checkpoints, plan) { PendingNotes = [.. notes] };
        if (shardPlan is not null) await job.LoadShardsAsync(grains, shardPlan);
        return job;
    }

    private static bool Fits(JobSpec spec, Network network, PartitionPlan plan, WorkerPool pool, DataShape[] shapes, (long, string) room)
    {
        try { JobMemory.EnsureFits(spec, network, plan, pool.Ranges, shapes, room); return true; }
        catch (UserInputException) { return false; }
    }

    /// <summary>
    /// --batch auto: the epoch's batch and gain from the recorded schedule, decided now (and recorded,
    /// so the next checkpoint keeps it) when the schedule has no entry for the epoch yet; the workers
    /// are told the batch with every step.
    /// </summary>
    public Task BeginEpochAsync(int epoch, IReadOnlyList<EpochReport> done, CancellationToken cancellation)
    {
        if (Spec.Options.AutoBatch is not { } auto) return Task.CompletedTask;
        var schedule = State.BatchSchedule!;
        var entry = BatchSchedule.For(epoch, auto, _jobPlan.Partitions, schedule, done, _update.State.Noise);
        if (schedule.Of(epoch) is null) schedule.Epochs.Add(entry);
        var plan = _jobPlan.WithBatch(entry.Batch);
        (_batch, _entry) = (entry.Batch, entry);
        Info = Info with { StepsPerEpoch = plan.StepsPerEpoch };
        _update.BeginEpoch(epoch, plan.StepsPerEpoch, State.Epoch == epoch ? State.StepInEpoch : 0, entry.LrGain);
        TrainerTelemetry.BatchDecided(Spec.Job, entry);
        return Task.CompletedTask;
    }

    /// <summary>Lines for the trainer from building the job (a silo refused), told with the loop's first events.</summary>
    public List<string> PendingNotes { get; init; } = [];

    /// <summary>
    /// At a step boundary: when the cluster changed (a silo joined, left or is leaving) or a worker is
    /// not yet where it should be, the workers are placed again. Returns what changed, for the trainer.
    /// </summary>
    private async Task<string?> FollowClusterAsync()
    {
        if (_cluster.Version == _clusterVersion && (_pool.Settled || Stopwatch.GetElapsedTime(_placedAt) < UnsettledRetry)) return null;
        _placedAt = Stopwatch.GetTimestamp();
        _clusterVersion = _cluster.Version;
        _pool.ClusterChanged(_clusterVersion);
        var notes = await _pool.PlaceAsync(Info.Partitions);
        State.Generations = _pool.Generations;
        Info = Info with { Workers = _pool.Shapes, FirstPartitions = _pool.Ranges.Select(r => r.First).ToArray() };
        _cluster.Placed(Info.Workers.Select(w => w.Silo).ToHashSet());
        return notes.Count == 0 ? null : string.Join("; ", notes);
    }

    public IAsyncEnumerable<EpochProgress> RunEpochAsync(int epoch, ActivityContext parent, CancellationToken cancellation)
    {
        if (State.Epoch != epoch) (State.Epoch, State.StepInEpoch, State.Totals) = (epoch, 0, new EpochTotals());
        return Spec.Mode switch
        {
            JobMode.Sync => RunSyncEpoch(epoch, parent, cancellation),
            JobMode.LocalSgd => RunLocalSgdEpoch(epoch, parent, cancellation),
            _ => RunAsyncEpoch(epoch, parent, cancellation),
        };
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

    public Task EpochJudgedAsync(CancellationToken cancellation) => CheckpointAsync();

    /// <summary>A checkpoint is due: written, or put off while the store is out (the epoch counts it).</summary>
    private async Task CheckpointAsync()
    {
        var saving = Stopwatch.StartNew();
        var written = await _checkpoints.WriteAsync();
        State.Totals.Checkpoint += saving.Elapsed.TotalSeconds;
        if (!written && _checkpoints.DeferredInOutage == 1)
            PendingNotes.Add(_checkpoints.PutOffNote);
    }

    /// <summary>At a step boundary, a checkpoint that was put off is tried again (at most once a second).</summary>
    private async Task RetryCheckpointAsync()
    {
        if (!_checkpoints.RetryDue) return;
        var putOff = _checkpoints.DeferredInOutage;
        if (await _checkpoints.RetryAsync()) PendingNotes.Add($"checkpoint written: the store is back ({putOff} put off while it was out)");
    }

    /// <summary>The job's result: the best epoch's weights when early stopping kept them, else the last.</summary>
    public float[] FinalWeights => TrainingLoop.FinalWeights(this, State.Loop!);

    /// <summary>Where the job stands, for 'trainer status'.</summary>
    public JobStatus ToStatus(string silo)
    {
        // the best of what early stopping watches (by default the lowest validation loss), not another figure of that epoch
        var monitor = EarlyStoppingPolicy.Watches(Spec.Options.Monitor, !Network.Spec.IsRegression);
        var best = State.Loop!.Stopping.BestOf(monitor);
        return new JobStatus(Spec.Job, Status, Network.Spec.ToString(), Spec.Mode, State.Epoch, Spec.Options.Epochs, State.StepInEpoch, StepsPerEpoch,
            _update.State.Step, best, _pool.Count, Spec.PsShards, silo, Info.Workers.Select(w => w.Silo).ToArray(), StartedUtc, DateTime.UtcNow, monitor, Spec.Owner);
    }

    public async Task ReleaseAsync()
    {
        _cluster.Release();
        await _pool.ReleaseAsync();
        if (_shards is { } shards) await Task.WhenAll(shards.Select(s => WorkerPool.Quietly(s.Release())));
    }

    /// <summary>Between steps: a cancelled job stops, and so does an epoch that a resume superseded (two loops must not drive the workers).</summary>
    private void EnsureActive()
    {
        if (Superseded) throw new OperationCanceledException($"job {Spec.Job}: this epoch was superseded by a resume");
        if (Status == JobStatus.Cancelled)
            throw new Hosting.JobFaultException(Hosting.JobFaultException.Cancelled,
                $"job {Spec.Job} was cancelled ('trainer cancel') at epoch {State.Epoch}, step {_update.State.Step}; its checkpoint is kept: {Hosting.ResumeHint.Of(Spec.Job)} continues it");
    }

    private bool ProgressDue(Stopwatch sinceProgress)
    {
        if (sinceProgress.Elapsed < ProgressInterval || State.StepInEpoch >= StepsPerEpoch) return false;
        sinceProgress.Restart();
        return true;
    }

    /// <summary>The epoch's statistics, with where it ran, the worker calls asked again and the checkpoints put off since the last epoch's end.</summary>
    private EpochProgress EpochEnd(int epoch)
    {
        var stats = State.Totals.Stats(epoch, StepsPerEpoch, _update.LastLearningRate, _update.NoiseScale) with
        {
            Workers = _pool.Count,
            Silos = Info.Workers.Select(w => w.Silo).Distinct().Order(StringComparer.Ordinal).ToArray(),
            RetriedCalls = _pool.Retries - _retriesBefore,
            DeferredCheckpoints = _checkpoints.Deferred - _deferredBefore,
            Batch = _batch,
            AutoBatch = _entry,
        };
        (_retriesBefore, _deferredBefore) = (_pool.Retries, _checkpoints.Deferred);
        return new(StepsPerEpoch, StepsPerEpoch, State.Totals.LastLoss, stats);
    }

    /// <summary>Lines for the trainer (a silo refused, a checkpoint put off), told with the next progress.</summary>
    private IEnumerable<EpochProgress> TakeNotes()
    {
        foreach (var note in PendingNotes) yield return new EpochProgress(State.StepInEpoch, StepsPerEpoch, State.Totals.LastLoss, Note: note);
        PendingNotes.Clear();
    }
}
