using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trainer.Core;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>
/// The parameter server of one job. It drives the workers (it calls them, they never call it, so no
/// grain waits on another that waits on it): each step it sends the weights, gathers the partial
/// sums and updates. In sync mode it completes the fixed reduction tree, which makes the weights
/// bit-identical to the reference trainer's; async and SSP modes apply each worker's gradient on arrival.
/// </summary>
[SpreadPlacement]
public sealed class ParameterServerGrain(IGrainFactory grains, ILocalSiloDetails silo) : Grain, IParameterServerGrain
{
    public const string Sync = "sync", Async = "async", Ssp = "ssp";
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);
    private Job? _job;

    public async Task<JobInfo> Start(JobSpec spec)
    {
        var workers = Enumerable.Range(0, spec.Workers).Select(i => grains.GetGrain<IWorkerGrain>($"{spec.Job}/{i}")).ToArray();
        var shapes = await Task.WhenAll(workers.Select((w, i) => w.Prepare(new WorkerSetup(spec.Job, i, spec.Workers, spec.Data, spec.Options, spec.Kernel))));
        var shape = shapes[0];
        if (shapes.Any(s => s.TrainRows != shape.TrainRows || s.Features != shape.Features || s.Classes != shape.Classes))
            throw new UserInputException($"--data {spec.Data.Data}: the silos read different data ({string.Join("; ", shapes.Select(s => $"{s.Silo}: {s.TrainRows} rows"))}); give a path every silo reads identically");

        var options = spec.Options;
        var network = new Network(ReferenceTrainer.SpecFor(options, shape.Features, shape.Classes));
        var plan = new PartitionPlan(shape.TrainRows, options.Partitions, options.Batch, options.Seed);
        _job = new Job(spec, workers, network, network.Initialise(options.Seed),
            new SgdOptimizer(options.Sgd, network.Tensors, network.ParameterCount),
            new LearningRateSchedule(options.Schedule, options.LearningRate, options.Epochs, plan.StepsPerEpoch, options.WarmupEpochs),
            plan.Partitions, plan.StepsPerEpoch, StepUpdate.Scratch(plan.Partitions, network.ParameterCount), new float[network.ParameterCount]);
        return new JobInfo(shape, network.ParameterCount, plan.StepsPerEpoch, plan.Partitions, silo.SiloAddress.ToString(), shapes);
    }

    public IAsyncEnumerable<EpochProgress> RunEpoch(int epoch, CancellationToken cancellation = default) =>
        Current().Spec.Mode == Sync ? RunSyncEpoch(epoch, cancellation) : RunAsyncEpoch(epoch, cancellation);

    public Task<FloatVector> GetWeights() => Task.FromResult(new FloatVector((float[])Current().Weights.Clone()));

    public async Task Finish()
    {
        if (_job is { } job) await Task.WhenAll(job.Workers.Select(w => w.Release()));
        _job = null;
        DeactivateOnIdle();
    }

    /// <summary>Every worker computes step s with the same weights; the sums are combined in the fixed tree order; one update.</summary>
    private async IAsyncEnumerable<EpochProgress> RunSyncEpoch(int epoch, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var job = Current();
        var clock = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        var totals = new Totals();
        for (var s = 0; s < job.StepsPerEpoch; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            var weights = new FloatVector(job.Weights); // not written until every worker has answered
            var fanOut = Stopwatch.StartNew();
            var parts = await Task.WhenAll(job.Workers.Select(w => w.ComputeGradient(epoch, s, weights)));
            var roundTrip = fanOut.Elapsed.TotalSeconds;

            var update = Stopwatch.StartNew();
            var sums = parts.Select(ToStepSums).ToArray();
            var loss = JobFaultFilter.Translate(() => StepUpdate.Apply(job.Partitions, sums, job.Scratch, job.MeanGradient, job.Optimiser, job.Weights, job.Schedule, job.Step, epoch));
            var rows = parts.Sum(p => p.Rows);
            var compute = parts.Max(p => p.ComputeSeconds);
            totals.Add(loss, rows, compute, roundTrip - compute, update.Elapsed.TotalSeconds, StepBytes(job, parts), staleness: 0);
            job.Step++;

            if (sinceProgress.Elapsed >= ProgressInterval && s + 1 < job.StepsPerEpoch)
            {
                sinceProgress.Restart();
                yield return new EpochProgress(s + 1, job.StepsPerEpoch, loss / rows, null);
            }
        }
        yield return new EpochProgress(job.StepsPerEpoch, job.StepsPerEpoch, totals.LastLoss, totals.Stats(epoch, job.StepsPerEpoch, clock.Elapsed.TotalSeconds, job.Schedule.At(job.Step - 1)));
    }

    /// <summary>
    /// Each worker walks its own steps; its gradient is applied as soon as it arrives (Downpour style).
    /// In SSP mode a worker may start a step only while it is at most s steps ahead of the slowest.
    /// </summary>
    private async IAsyncEnumerable<EpochProgress> RunAsyncEpoch(int epoch, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var job = Current();
        var workers = job.Workers.Length;
        var bound = job.Spec.Mode == Ssp ? job.Spec.Staleness : int.MaxValue;
        var done = new int[workers];
        var busy = new bool[workers];
        var inFlight = new Dictionary<Task<PartialGradient>, (int Worker, long Version)>();
        var clock = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        var totals = new Totals();
        var epochStartStep = job.Step;
        long updates = 0;

        void DispatchReady()
        {
            var slowest = done.Min();
            for (var w = 0; w < workers; w++)
            {
                if (busy[w] || done[w] >= job.StepsPerEpoch || (long)done[w] - slowest > bound) continue;
                // a copy: the weights change while this worker computes
                var call = job.Workers[w].ComputeGradient(epoch, done[w], new FloatVector((float[])job.Weights.Clone()));
                inFlight[call] = (w, job.Version);
                busy[w] = true;
            }
        }

        DispatchReady();
        while (inFlight.Count > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            var finished = await Task.WhenAny(inFlight.Keys);
            var (worker, version) = inFlight[finished];
            inFlight.Remove(finished);
            var part = await finished;

            var update = Stopwatch.StartNew();
            var step = epochStartStep + updates / workers;
            var loss = JobFaultFilter.Translate(() => ApplyOnArrival(job, part, step, epoch));
            var staleness = (int)(job.Version - version);
            job.Version++;
            updates++;
            totals.Add(loss, part.Rows, part.ComputeSeconds / workers, 0, update.Elapsed.TotalSeconds, StepBytes(job, [part]) , staleness);
            busy[worker] = false;
            done[worker]++;
            DispatchReady();

            if (sinceProgress.Elapsed >= ProgressInterval && inFlight.Count > 0)
            {
                sinceProgress.Restart();
                yield return new EpochProgress(done.Min(), job.StepsPerEpoch, loss / Math.Max(1, part.Rows), null);
            }
        }
        job.Step = epochStartStep + job.StepsPerEpoch;
        var seconds = clock.Elapsed.TotalSeconds;
        yield return new EpochProgress(job.StepsPerEpoch, job.StepsPerEpoch, totals.LastLoss, totals.Stats(epoch, job.StepsPerEpoch, seconds, job.Schedule.At(job.Step - 1)));
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
        var learningRate = job.Schedule.At(step);
        if (part.Rows == 0) return 0;
        if (!double.IsFinite(loss) || !GradientSums.ToMean(total, part.Rows, job.MeanGradient))
            throw new TrainingDivergedException(step + 1, epoch, learningRate, double.IsFinite(loss) ? "the gradient is not finite" : "the loss is not finite");
        job.Optimiser.Step(job.Weights, job.MeanGradient, learningRate);
        return loss;
    }

    private static StepSums ToStepSums(PartialGradient part) =>
        new(part.Blocks.Select(b => (b.Start, b.Sum.Values)).ToArray(), part.Losses, part.Rows, part.ComputeSeconds);

    /// <summary>Bytes on the wire for one round: the weights to each worker and its block sums back.</summary>
    private static long StepBytes(Job job, IReadOnlyList<PartialGradient> parts) =>
        parts.Count * (long)job.Weights.Length * sizeof(float) + parts.Sum(p => p.Blocks.Sum(b => b.Sum.Bytes));

    private Job Current() => _job ?? throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} is not started on this parameter server");

    private sealed class Job(JobSpec spec, IWorkerGrain[] workers, Network network, float[] weights, SgdOptimizer optimiser,
        LearningRateSchedule schedule, int partitions, int stepsPerEpoch, float[][] scratch, float[] meanGradient)
    {
        public JobSpec Spec { get; } = spec;
        public IWorkerGrain[] Workers { get; } = workers;
        public Network Network { get; } = network;
        public float[] Weights { get; } = weights;
        public SgdOptimizer Optimiser { get; } = optimiser;
        public LearningRateSchedule Schedule { get; } = schedule;
        public int Partitions { get; } = partitions;
        public int StepsPerEpoch { get; } = stepsPerEpoch;
        public float[][] Scratch { get; } = scratch;
        public float[] MeanGradient { get; } = meanGradient;
        /// <summary>Global step: the learning-rate schedule's clock.</summary>
        public long Step { get; set; }
        /// <summary>Updates applied so far: the version of the weights (staleness is counted in versions).</summary>
        public long Version { get; set; }
    }

    /// <summary>Sums of an epoch's steps (or updates, in async modes).</summary>
    private sealed class Totals
    {
        private double _loss, _compute, _communication, _update, _staleness;
        private long _rows, _bytes, _rounds;
        private int _maxStaleness;
        public double LastLoss { get; private set; }

        public void Add(double loss, int rows, double compute, double communication, double update, long bytes, int staleness)
        {
            _loss += loss; _rows += rows; _compute += compute; _communication += Math.Max(0, communication); _update += update;
            _bytes += bytes; _staleness += staleness; _maxStaleness = Math.Max(_maxStaleness, staleness); _rounds++;
            LastLoss = loss / Math.Max(1, rows);
        }

        public EpochStats Stats(int epoch, int steps, double seconds, double learningRate)
        {
            // In async modes communication is what the wall time leaves after compute and update.
            var communication = _communication > 0 ? _communication : Math.Max(0, seconds - _compute - _update);
            return new EpochStats(epoch, _loss, _rows, steps, seconds, _compute, communication, _update, _bytes, learningRate, _staleness, _rounds, _maxStaleness);
        }
    }
}
