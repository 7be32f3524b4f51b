using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Trainer.Core;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>
/// The parameter server of one job. It drives the workers (it calls them, they never call it, so no
/// grain waits on another that waits on it): each step it sends the weights, gathers the partial
/// sums and updates. In sync mode it completes the fixed reduction tree, which makes the weights
/// bit-identical to the reference trainer's; async and SSP modes apply each worker's gradient on
/// arrival. A worker that fails or stalls is replaced by a fresh activation and its work redone;
/// the server's own state is checkpointed so that a new activation can continue the job.
/// With --ps-shards the parameters live in shard grains (ParameterServerGrain.Shards.cs); what
/// 'trainer status' and 'trainer cancel' see is in ParameterServerGrain.Status.cs.
/// </summary>
[SpreadPlacement]
public sealed partial class ParameterServerGrain(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    ILogger<ParameterServerGrain> logger,
    [PersistentState("job", CheckpointStorage.Name)] IPersistentState<Checkpoint> checkpoint) : Grain, IParameterServerGrain
{
    public const string Sync = "sync", Async = "async", Ssp = "ssp";
    private const int MaxAttempts = 5;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);
    private Job? _job;

    public async Task<JobInfo> Start(JobSpec spec)
    {
        if (checkpoint.RecordExists && checkpoint.State.Spec is not null)
            throw new UserInputException($"--job {spec.Job}: this job already has a checkpoint (epoch {checkpoint.State.Epoch}, step {checkpoint.State.Step}); " +
                                         $"continue it with 'trainer resume --job {spec.Job}', or choose another --job");
        if (spec.PsShards > 1 && spec.Mode != Sync)
            throw new UserInputException($"--ps-shards {spec.PsShards} works with --mode sync; this job's mode is {spec.Mode}");
        var (job, info) = await Build(spec, new int[spec.Workers]);
        job.Weights = job.Network.Initialise(spec.Options.Seed);
        await LoadShards(job);
        _job = job;
        await SaveCheckpoint();
        ReportStatus(job);
        return info;
    }

    public async Task<ResumeInfo> Resume()
    {
        await checkpoint.ReadStateAsync(); // the newest checkpoint, also when this activation is not new
        var saved = checkpoint.State;
        if (!checkpoint.RecordExists || saved.Spec is null)
            throw new UserInputException($"--job {this.GetPrimaryKeyString()}: no checkpoint of this job (never started, or already finished)");
        var (job, info) = await Build(saved.Spec, saved.Generations ?? new int[saved.Spec.Workers]);
        job.Weights = saved.Weights!.Values;
        saved.Velocity?.Values.CopyTo(job.Optimiser.Velocity, 0);
        (job.Step, job.Version, job.Epoch, job.StepInEpoch, job.Totals) = (saved.Step, saved.Version, saved.Epoch, saved.StepInEpoch, saved.Totals);
        job.Loop = saved.Loop ?? LoopState.Initial;
        job.BestWeights = saved.BestWeights;
        job.Guard.FirstMeanLoss = saved.FirstMeanLoss;
        job.Noise = new GradientNoiseScale(saved.NoiseScale);
        await LoadShards(job);
        _job = job;
        ReportStatus(job);
        logger.LogInformation("job {Job} resumed at epoch {Epoch}, step {Step}", saved.Spec.Job, saved.Epoch, saved.Step);
        return new ResumeInfo(saved.Spec, info, job.Loop, job.BestWeights, job.Epoch, job.StepInEpoch, job.Step, saved.RecoveryNote);
    }

    public IAsyncEnumerable<EpochProgress> RunEpoch(int epoch, CancellationToken cancellation = default)
    {
        var job = Current();
        if (job.Epoch != epoch)
        {
            (job.Epoch, job.StepInEpoch, job.Totals) = (epoch, 0, new EpochTotals());
        }
        return job.Spec.Mode == Sync ? RunSyncEpoch(job, epoch, cancellation) : RunAsyncEpoch(job, epoch, cancellation);
    }

    public async Task<FloatVector> GetWeights()
    {
        var job = Current();
        await GatherShards(job);
        return new FloatVector((float[])job.Weights.Clone());
    }

    public async Task<ChunkSums[]> Evaluate(DataPart part, FloatVector weights)
    {
        var job = Current();
        return await WithWorkers(job, w => job.Workers[w].Evaluate(part, weights));
    }

    public async Task EpochCompleted(LoopState loop, FloatVector? newBestWeights)
    {
        var job = Current();
        job.Loop = loop;
        if (newBestWeights is not null) job.BestWeights = newBestWeights;
        await SaveCheckpoint();
        ReportStatus(job);
    }

    public async Task Finish()
    {
        if (_job is { } job)
        {
            job.State = JobStatus.Finished;
            ReportStatus(job);
            await Task.WhenAll(job.Workers.Select(ReleaseQuietly));
            if (job.Shards is { } shards) await Task.WhenAll(shards.Select(s => Quietly(s.Release())));
        }
        await checkpoint.ClearStateAsync();
        _job = null;
        DeactivateOnIdle();
    }

    /// <summary>Every worker computes step s with the same weights; the sums are combined in the fixed tree order; one update.</summary>
    private async IAsyncEnumerable<EpochProgress> RunSyncEpoch(Job job, int epoch, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var sinceProgress = Stopwatch.StartNew();
        while (job.StepInEpoch < job.StepsPerEpoch)
        {
            cancellation.ThrowIfCancellationRequested();
            EnsureCurrent(job);
            EnsureRunning(job);
            var clock = Stopwatch.StartNew();
            var (loss, rows, compute, roundTrip, updateSeconds) = await Failing(job, () => job.Shards is null ? Step(job, epoch) : ShardedStep(job, epoch));
            job.Totals.Add(loss, rows, compute, roundTrip - compute, updateSeconds, job.BytesPerStep, staleness: 0);
            TrainerTelemetry.StepDone(job.Spec.Job, rows, loss, 1000 * compute, 1000 * Math.Max(0, roundTrip - compute), 1000 * updateSeconds, job.BytesPerStep, job.LastGradientNorm, job.Noise.Value);
            job.Step++;
            job.Version++;
            job.StepInEpoch++;

            if (job.StepInEpoch == job.StepsPerEpoch || (job.Spec.CheckpointEvery > 0 && job.Step % job.Spec.CheckpointEvery == 0))
            {
                var saving = Stopwatch.StartNew();
                await SaveCheckpoint();
                job.Totals.Checkpoint += saving.Elapsed.TotalSeconds;
            }
            job.Totals.Seconds += clock.Elapsed.TotalSeconds;
            if (sinceProgress.Elapsed >= ProgressInterval && job.StepInEpoch < job.StepsPerEpoch)
            {
                sinceProgress.Restart();
                yield return new EpochProgress(job.StepInEpoch, job.StepsPerEpoch, loss / rows, null);
            }
        }
        yield return new EpochProgress(job.StepsPerEpoch, job.StepsPerEpoch, job.Totals.LastLoss, job.Totals.Stats(epoch, job.StepsPerEpoch, job.Schedule.At(job.Step - 1), job.Noise.Value));
    }

    /// <summary>One synchronous step on this grain: the weights out to every worker, their block sums back, the tree completed, one update.</summary>
    private async Task<(double Loss, int Rows, double Compute, double RoundTrip, double Update)> Step(Job job, int epoch)
    {
        using var span = StepSpan(job, epoch);
        var clock = Stopwatch.StartNew();
        var s = job.StepInEpoch;
        var weights = new FloatVector(job.Weights); // not written until every worker has answered
        var parts = await WithWorkers(job, w => job.Workers[w].ComputeGradient(epoch, s, weights));
        var roundTrip = clock.Elapsed.TotalSeconds;

        var update = Stopwatch.StartNew();
        var sums = parts.Select(ToStepSums).ToArray();
        var loss = JobFaultFilter.Translate(() => StepUpdate.Apply(job.Partitions, sums, job.Scratch, job.MeanGradient, job.Optimiser, job.Weights, job.Schedule, job.Guard, job.Noise, job.Step, epoch));
        job.LastGradientNorm = TrainerTelemetry.GradientNorm.Enabled ? Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(job.MeanGradient)) : null;
        return (loss, parts.Sum(p => p.Rows), parts.Max(p => p.ComputeSeconds), roundTrip, update.Elapsed.TotalSeconds);
    }

    /// <summary>A span per step, under the call that runs the epoch (and so under the trainer's epoch span); the workers' calls go under it.</summary>
    private static System.Diagnostics.Activity? StepSpan(Job job, int epoch) =>
        TrainerTelemetry.Source.StartActivity("step")?.SetTag("job", job.Spec.Job).SetTag("epoch", epoch).SetTag("step", job.Step);

    /// <summary>
    /// Each worker walks its own steps; its gradient is applied as soon as it arrives (Downpour style).
    /// In SSP mode a worker may start a step only while it is at most s steps ahead of the slowest.
    /// A failed or stalled worker is replaced and its step dispatched again while the others go on.
    /// Checkpoints are taken at epoch ends only; a lost server repeats the epoch.
    /// </summary>
    private async IAsyncEnumerable<EpochProgress> RunAsyncEpoch(Job job, int epoch, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var workers = job.Workers.Length;
        if (job.StepInEpoch < job.StepsPerEpoch)
        {
            var bound = job.Spec.Mode == Ssp ? job.Spec.Staleness : int.MaxValue;
            var done = new int[workers];
            var failures = new int[workers];
            var busy = new bool[workers];
            var inFlight = new Dictionary<Task<PartialGradient>, (int Worker, long Version)>();
            var clock = Stopwatch.StartNew();
            var sinceProgress = Stopwatch.StartNew();
            var epochStartStep = job.Step;
            long updates = 0;

            void DispatchReady()
            {
                var slowest = done.Min();
                for (var w = 0; w < workers; w++)
                {
                    if (busy[w] || done[w] >= job.StepsPerEpoch || (long)done[w] - slowest > bound) continue;
                    // a copy: the weights change while this worker computes
                    var call = job.Workers[w].ComputeGradient(epoch, done[w], new FloatVector((float[])job.Weights.Clone())).WaitAsync(job.StepTimeout);
                    inFlight[call] = (w, job.Version);
                    busy[w] = true;
                }
            }

            DispatchReady();
            while (inFlight.Count > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                EnsureCurrent(job);
                EnsureRunning(job);
                var finished = await Task.WhenAny(inFlight.Keys);
                var (worker, version) = inFlight[finished];
                inFlight.Remove(finished);
                busy[worker] = false;
                if (finished.Exception?.GetBaseException() is { } error && error is not JobFaultException)
                {
                    if (++failures[worker] >= MaxAttempts) throw Lost(job, error);
                    await ReplaceWorker(job, worker, error);
                    EnsureCurrent(job);
                    DispatchReady();
                    sinceProgress.Restart();
                    yield return new EpochProgress(done.Min(), job.StepsPerEpoch, job.Totals.LastLoss, null); // a heartbeat: the trainer is waiting
                    continue;
                }
                var part = await finished;

                var update = Stopwatch.StartNew();
                var step = epochStartStep + updates / workers;
                double loss;
                try { loss = JobFaultFilter.Translate(() => ApplyOnArrival(job, part, step, epoch)); }
                catch (JobFaultException)
                {
                    job.State = JobStatus.Failed;
                    ReportStatus(job);
                    throw;
                }
                var staleness = (int)(job.Version - version);
                job.Version++;
                updates++;
                job.Totals.Add(loss, part.Rows, part.ComputeSeconds / workers, 0, update.Elapsed.TotalSeconds, job.BytesPerStep / workers, staleness);
                TrainerTelemetry.Staleness.Record(staleness, TrainerTelemetry.Job(job.Spec.Job));
                TrainerTelemetry.StepDone(job.Spec.Job, part.Rows, loss, 1000 * part.ComputeSeconds, 0, 1000 * update.Elapsed.TotalSeconds, job.BytesPerStep / workers, null, job.Noise.Value);
                done[worker]++;
                DispatchReady();

                if (sinceProgress.Elapsed >= ProgressInterval && inFlight.Count > 0)
                {
                    sinceProgress.Restart();
                    yield return new EpochProgress(done.Min(), job.StepsPerEpoch, loss / Math.Max(1, part.Rows), null);
                }
            }
            job.Step = epochStartStep + job.StepsPerEpoch;
            job.StepInEpoch = job.StepsPerEpoch;
            job.Totals.Seconds += clock.Elapsed.TotalSeconds;
            await SaveCheckpoint();
        }
        yield return new EpochProgress(job.StepsPerEpoch, job.StepsPerEpoch, job.Totals.LastLoss, job.Totals.Stats(epoch, job.StepsPerEpoch, job.Schedule.At(job.Step - 1), job.Noise.Value));
    }

    /// <summary>
    /// One call per worker, all at once. A worker whose call fails or outlasts the step timeout is
    /// replaced by a fresh activation (which reloads its partitions) and asked again: the same step
    /// from the same data gives the same sums, so no work is lost or applied twice.
    /// </summary>
    private async Task<T[]> WithWorkers<T>(Job job, Func<int, Task<T>> call)
    {
        var results = new T[job.Workers.Length];
        var pending = Enumerable.Range(0, job.Workers.Length).ToList();
        for (var attempt = 1; ; attempt++)
        {
            // the last workers first: worker 0 shares the server's silo, the others' weights have a wire to cross
            var calls = pending.AsEnumerable().Reverse().Select(w => (Worker: w, Call: call(w).WaitAsync(job.StepTimeout))).ToArray();
            try { await Task.WhenAll(calls.Select(c => c.Call)); }
            catch (Exception) { /* looked at per call below */ }

            var failed = new List<(int Worker, Exception Error)>();
            foreach (var (worker, task) in calls)
            {
                if (task.IsCompletedSuccessfully) { results[worker] = task.Result; continue; }
                var error = task.Exception!.GetBaseException();
                if (error is JobFaultException) throw error;
                failed.Add((worker, error));
            }
            if (failed.Count == 0) return results;
            if (attempt == MaxAttempts && job.Shards is not null)
                // a lost shard fails every worker: the trainer resumes this grain, which reloads the shards from the checkpoint
                throw new InvalidOperationException($"job {job.Spec.Job}: steps keep failing ({failed[0].Error.Message}); continuing from the last checkpoint");
            if (attempt == MaxAttempts) throw Lost(job, failed[0].Error);
            foreach (var (worker, error) in failed) await ReplaceWorker(job, worker, error);
            pending = failed.Select(f => f.Worker).ToList();
        }
    }

    /// <summary>A fresh activation under a new key (the old one may be stuck or on a dead silo), set up for the same partitions.</summary>
    private async Task ReplaceWorker(Job job, int index, Exception error)
    {
        logger.LogWarning("job {Job}: worker {Index} failed ({Error}); replacing it", job.Spec.Job, index, error.Message);
        _ = ReleaseQuietly(job.Workers[index]);
        for (var attempt = 1; ; attempt++)
        {
            job.Generations[index]++;
            job.Workers[index] = grains.GetGrain<IWorkerGrain>(WorkerKey(job.Spec.Job, index, job.Generations[index]));
            try
            {
                await job.Workers[index].Load(Load(job.Spec)).WaitAsync(job.StepTimeout);
                await job.Workers[index].Setup(Setup(job.Spec, index, job.Ranges[index])).WaitAsync(job.StepTimeout);
                return;
            }
            catch (Exception e) when (e is not JobFaultException && attempt < MaxAttempts)
            {
                logger.LogWarning("job {Job}: worker {Index} could not be set up again ({Error}); retrying", job.Spec.Job, index, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    private static JobFaultException Lost(Job job, Exception error) =>
        new(JobFaultException.ClusterLost, $"job {job.Spec.Job}: workers keep failing after {MaxAttempts} attempts ({error.Message}); the cluster is lost");

    private async Task<(Job Job, JobInfo Info)> Build(JobSpec spec, int[] generations)
    {
        var workers = Enumerable.Range(0, spec.Workers).Select(i => grains.GetGrain<IWorkerGrain>(WorkerKey(spec.Job, i, generations[i]))).ToArray();
        var shapes = await Task.WhenAll(workers.Select(w => w.Load(Load(spec))));
        var shape = shapes[0];
        if (shapes.Any(s => s.TrainRows != shape.TrainRows || s.Features != shape.Features || s.Classes != shape.Classes))
            throw new UserInputException($"--data {spec.Data.Data}: the silos read different data ({string.Join("; ", shapes.Select(s => $"{s.Silo}: {s.TrainRows} rows"))}); give a path every silo reads identically");

        var options = spec.Options;
        var network = new Network(ReferenceTrainer.SpecFor(options, shape.Features, shape.Classes, shape.Preprocessor));
        var plan = new PartitionPlan(shape.TrainRows, options.Partitions, options.Batch, options.Seed);
        var ranges = Enumerable.Range(0, workers.Length).Select(i => PartitionRange(plan.Partitions, i, workers.Length)).ToArray();
        JobMemory.EnsureFits(spec, network, plan, ranges, shapes);
        await Task.WhenAll(workers.Select((w, i) => w.Setup(Setup(spec, i, ranges[i]))));

        var info = new JobInfo(shape, network.ParameterCount, plan.StepsPerEpoch, plan.Partitions, silo.SiloAddress.ToString(), shapes, ranges.Select(r => r.First).ToArray());
        var sharded = spec.PsShards > 1;
        var job = new Job(spec, info, workers, generations, network,
            Optimizer.For(options, network.Tensors, network.ParameterCount),
            new LearningRateSchedule(options.Schedule, options.ScaledLearningRate, options.Epochs, plan.StepsPerEpoch, options.WarmupEpochs),
            plan.Partitions, plan.StepsPerEpoch, sharded ? [] : StepUpdate.Scratch(plan.Partitions, network.ParameterCount), new float[network.ParameterCount])
        {
            ShardPlan = sharded ? JobFaultFilter.Translate(() => new ShardPlan(network.ParameterCount, spec.PsShards)) : null,
            Shards = sharded ? Enumerable.Range(0, spec.PsShards).Select(s => grains.GetGrain<IParameterShardGrain>($"{spec.Job}/shard/{s}")).ToArray() : null,
            Ranges = ranges,
            // the weights to every worker, and each worker's block sums back
            BytesPerStep = (long)network.ParameterCount * sizeof(float) * (workers.Length + ranges.Sum(r => GradientSums.AlignedBlocks(r.First, r.Count).Count)),
        };
        return (job, info);
    }

    private async Task SaveCheckpoint()
    {
        var job = Current();
        await GatherShards(job);
        var state = checkpoint.State;
        state.Spec = job.Spec;
        state.Weights = new FloatVector(job.Weights); // serialised before this method returns
        state.Velocity = job.Optimiser.Velocity.Length > 0 ? new FloatVector(job.Optimiser.Velocity) : null;
        (state.Step, state.Version, state.Epoch, state.StepInEpoch, state.Totals) = (job.Step, job.Version, job.Epoch, job.StepInEpoch, job.Totals);
        state.Loop = job.Loop;
        state.BestWeights = job.BestWeights;
        state.Generations = job.Generations;
        state.FirstMeanLoss = job.Guard.FirstMeanLoss;
        state.NoiseScale = job.Noise.State;
        await checkpoint.WriteStateAsync();
    }

    private static WorkerLoad Load(JobSpec spec) => new(spec.Job, spec.Data, spec.Options, spec.Kernel);

    private static WorkerSetup Setup(JobSpec spec, int index, (int First, int Count) range) =>
        new(spec.Job, index, spec.Workers, range.First, range.Count, spec.Data, spec.Options, spec.Kernel);

    /// <summary>Worker i of W owns a contiguous, near-equal range of the P partitions.</summary>
    private static (int First, int Count) PartitionRange(int partitions, int index, int workers)
    {
        var first = partitions * index / workers;
        return (first, partitions * (index + 1) / workers - first);
    }

    private static string WorkerKey(string job, int index, int generation) => generation == 0 ? $"{job}/{index}" : $"{job}/{index}.{generation}";

    private static Task ReleaseQuietly(IWorkerGrain worker) => Quietly(worker.Release());

    private static async Task Quietly(Task release)
    {
        try { await release.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* a lost or stuck grain goes away by itself when idle */ }
    }

    /// <summary>One worker's gradient on its own: its blocks added in partition order, divided by its rows, applied.</summary>
    private static double ApplyOnArrival(Job job, PartialGradient part, long step, int epoch)
    {
        var total = part.Blocks[0].Sum.Values;
        if (part.Blocks.Length > 1)
        {
            total = job.Scratch[0];
            part.Blocks[0].Sum.Values.CopyTo(total, 0);
            foreach (var block in part.Blocks.Skip(1)) System.Numerics.Tensors.TensorPrimitives.Add(total, block.Sum.Values, total);
        }
        var loss = part.Losses.Sum();
        if (part.Rows == 0) return 0;
        StepUpdate.ApplyTotal(total, loss, part.Rows, job.MeanGradient, job.Optimiser, job.Weights, job.Schedule.At(step), job.Guard, step, epoch);
        StepUpdate.ObserveNoise(job.Noise, part.SquaredNorms, part.Rows, job.MeanGradient); // b: a micro-batch, B: this worker's rows
        return loss;
    }

    private static StepSums ToStepSums(PartialGradient part) =>
        new(part.Blocks.Select(b => (b.Start, b.Sum.Values)).ToArray(), part.Losses, part.SquaredNorms, part.Rows, part.ComputeSeconds);

    /// <summary>
    /// An epoch still running for a job that was since resumed from a checkpoint (the trainer gave up
    /// waiting for it) must stop, or two loops would drive the workers.
    /// </summary>
    private void EnsureCurrent(Job job)
    {
        if (!ReferenceEquals(job, _job)) throw new OperationCanceledException($"job {job.Spec.Job}: this epoch was superseded by a resume");
    }

    private Job Current() => _job ?? throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} is not running on this parameter server activation; resume it");

    private sealed class Job(JobSpec spec, JobInfo info, IWorkerGrain[] workers, int[] generations, Network network, Optimizer optimiser,
        LearningRateSchedule schedule, int partitions, int stepsPerEpoch, float[][] scratch, float[] meanGradient)
    {
        public JobSpec Spec { get; } = spec;
        public JobInfo Info { get; } = info;
        /// <summary>With --ps-shards above 1: the key ranges and the grains that hold them (this grain's weights are then a copy, brought up to date for checkpoints).</summary>
        public ShardPlan? ShardPlan { get; init; }
        public IParameterShardGrain[]? Shards { get; init; }
        /// <summary>Each worker's partitions, assigned here: where its losses go in partition order.</summary>
        public (int First, int Count)[] Ranges { get; init; } = [];
        public long BytesPerStep { get; init; }
        public IWorkerGrain[] Workers { get; } = workers;
        /// <summary>How often each worker has been replaced: part of its grain key.</summary>
        public int[] Generations { get; } = generations;
        public Network Network { get; } = network;
        public float[] Weights { get; set; } = [];
        public Optimizer Optimiser { get; } = optimiser;
        public LearningRateSchedule Schedule { get; } = schedule;
        public int Partitions { get; } = partitions;
        public int StepsPerEpoch { get; } = stepsPerEpoch;
        public float[][] Scratch { get; } = scratch;
        public float[] MeanGradient { get; } = meanGradient;
        public TimeSpan StepTimeout { get; } = TimeSpan.FromSeconds(spec.StepTimeoutSeconds);
        /// <summary>Global step: the learning-rate schedule's clock.</summary>
        public long Step { get; set; }
        /// <summary>Updates applied so far: the version of the weights (staleness is counted in versions).</summary>
        public long Version { get; set; }
        public int Epoch { get; set; }
        public int StepInEpoch { get; set; }
        public EpochTotals Totals { get; set; } = new();
        public LoopState Loop { get; set; } = LoopState.Initial;
        public FloatVector? BestWeights { get; set; }
        public DivergenceGuard Guard { get; } = new(network.Head);
        public GradientNoiseScale Noise { get; set; } = new();
        /// <summary>running, finished, failed or cancelled: for 'trainer status'.</summary>
        public string State { get; set; } = JobStatus.Running;
        public DateTime StartedUtc { get; } = DateTime.UtcNow;
        /// <summary>The norm of the last step's mean gradient, when telemetry listens.</summary>
        public double? LastGradientNorm { get; set; }
    }
}
