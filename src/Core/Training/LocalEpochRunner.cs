using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Scaling;

namespace Trainer.Core.Training;

/// <summary>
/// The epochs of the single-process reference trainer, the d2l loop: initialise, then for every
/// step of every epoch: gradient, update.
/// </summary>
public sealed class LocalEpochRunner : IEpochRunner
{
    private readonly IKernel _kernel;
    private readonly PreparedData _data;
    private readonly TrainOptions _options;
    private readonly PartitionPlan _jobPlan;
    private PartitionPlan _plan;
    private PartitionGradients _gradients;
    private readonly Update _update;
    private BatchEpoch? _entry;

    public LocalEpochRunner(IKernel kernel, PreparedData data, TrainOptions options)
    {
        _kernel = kernel; _data = data; _options = options;
        Network = new Network(ReferenceTrainer.SpecFor(options, data));
        _plan = _jobPlan = new PartitionPlan(data.Train.Count, options.Partitions, options.Batch, options.Seed);
        var largest = _plan.MicroBatch.Max();
        if (options.AutoBatch is { } auto)
        {
            var available = MachineMemory.AvailableBytes();
            var (min, max) = auto.Resolve(data.Train.Count, options.Partitions, options.Batch,
                b => MemoryEstimate.Local(Network.Spec, options, (b + options.Partitions - 1) / options.Partitions).Bytes <= available);
            Schedule = new BatchScheduleState { Min = min, Max = max, Start = options.Batch };
            largest = Math.Max(largest, (max + options.Partitions - 1) / options.Partitions);
        }
        MemoryEstimate.Local(Network.Spec, options, largest).EnsureFits("in this process", MachineMemory.AvailableBytes()); // before the first big allocation
        Weights = Network.Initialise(options.Seed);
        _gradients = new PartitionGradients(Network, kernel, data.Train, _plan, 0, _plan.Partitions, options.Threads);
        _update = new Update(Network, options, _plan.Partitions, _plan.StepsPerEpoch, threads: options.Threads);
    }

    public Network Network { get; }
    public int StepsPerEpoch => _plan.StepsPerEpoch;
    public float[] Weights { get; }
    /// <summary>--batch auto: the schedule so far; null with a fixed batch.</summary>
    public BatchScheduleState? Schedule { get; }

    public Task BeginEpochAsync(int epoch, IReadOnlyList<EpochReport> done, CancellationToken cancellation)
    {
        if (Schedule is null) return Task.CompletedTask;
        var entry = BatchSchedule.For(epoch, _options.AutoBatch!, _jobPlan.Partitions, Schedule, done, _update.State.Noise);
        if (Schedule.Of(epoch) is null) Schedule.Epochs.Add(entry);
        if (entry.Batch != _plan.GlobalBatch)
        {
            _plan = _jobPlan.WithBatch(entry.Batch);
            _gradients = new PartitionGradients(Network, _kernel, _data.Train, _plan, 0, _plan.Partitions, _options.Threads);
        }
        _update.BeginEpoch(epoch, _plan.StepsPerEpoch, 0, entry.LrGain);
        _entry = entry;
        TrainerTelemetry.BatchDecided("local", entry);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<EpochProgress> RunEpochAsync(int epoch, ActivityContext parent, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var orders = Enumerable.Range(0, _plan.Partitions).Select(p => _plan.EpochOrder(p, epoch)).ToArray();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, compute = 0, update = 0;
        long rows = 0;
        for (var s = 0; s < _plan.StepsPerEpoch; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            using (var span = TrainerTelemetry.StartStep("local", epoch, _update.State.Step, parent))
            {
                var gradient = _gradients.Compute(Weights, orders, epoch, s);
                var updateStart = clock.Elapsed;
                var loss = _update.Apply([gradient], Weights, epoch);
                var updateSeconds = (clock.Elapsed - updateStart).TotalSeconds;
                TrainerTelemetry.StepDone("local", gradient.Rows, loss, gradient.ComputeSeconds, 0, updateSeconds, 0,
                    TrainerTelemetry.GradientNorm.Enabled ? _update.GradientNorm : null, _update.NoiseScale);
                (lossSum, compute, update, rows) = (lossSum + loss, compute + gradient.ComputeSeconds, update + updateSeconds, rows + gradient.Rows);
                if (s + 1 < _plan.StepsPerEpoch) yield return new EpochProgress(s + 1, _plan.StepsPerEpoch, loss / gradient.Rows);
            }
        }
        await Task.CompletedTask;
        yield return new EpochProgress(_plan.StepsPerEpoch, _plan.StepsPerEpoch, 0,
            new EpochStats(epoch, lossSum, rows, _plan.StepsPerEpoch, clock.Elapsed.TotalSeconds, compute, 0, update, 0, _update.LastLearningRate, NoiseScale: _update.NoiseScale,
                Batch: _plan.GlobalBatch, AutoBatch: _entry));
    }

    public Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation)
    {
        var data = part == DataPart.Validation ? _data.Validation : _data.Test;
        if (data is null) return Task.FromResult(new MetricSums());
        return Task.FromResult(Evaluator.Sums(Network, _kernel, weights, data, _options.Threads));
    }
}
