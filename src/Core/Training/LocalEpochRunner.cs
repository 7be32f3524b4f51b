using System.Diagnostics;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Optim;

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
    private readonly PartitionPlan _plan;
    private readonly LearningRateSchedule _schedule;
    private readonly PartitionGradients _gradients;
    private readonly Optimizer _optimiser;
    private readonly float[] _weights;
    private readonly float[] _meanGradient;
    private readonly float[][] _scratch;
    private readonly DivergenceGuard _guard;
    private readonly GradientNoiseScale _noise = new();
    private long _step;

    public LocalEpochRunner(IKernel kernel, PreparedData data, TrainOptions options)
    {
        _kernel = kernel; _data = data; _options = options;
        Network = new Network(ReferenceTrainer.SpecFor(options, data));
        MemoryEstimate.Local(Network.Spec, options, (options.Batch + options.Partitions - 1) / options.Partitions)
            .EnsureFits("in this process", MachineMemory.AvailableBytes()); // before the first big allocation
        _weights = Network.Initialise(options.Seed);
        _guard = new DivergenceGuard(Network.Head);
        _optimiser = Optimizer.For(options, Network.Tensors, Network.ParameterCount);
        _plan = new PartitionPlan(data.Train.Count, options.Partitions, options.Batch, options.Seed);
        _schedule = new LearningRateSchedule(options.Schedule, options.ScaledLearningRate, options.Epochs, _plan.StepsPerEpoch, options.WarmupEpochs);
        _gradients = new PartitionGradients(Network, kernel, data.Train, _plan, 0, _plan.Partitions, options.Threads);
        _meanGradient = new float[Network.ParameterCount];
        _scratch = StepUpdate.Scratch(_plan.Partitions, Network.ParameterCount);
    }

    public Network Network { get; }
    public int StepsPerEpoch => _plan.StepsPerEpoch;

    public Task<EpochStats> RunEpochAsync(int epoch, ITrainingObserver observer, CancellationToken cancellation)
    {
        var orders = Enumerable.Range(0, _plan.Partitions).Select(p => _plan.EpochOrder(p, epoch)).ToArray();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, compute = 0, update = 0;
        long rows = 0;
        for (var s = 0; s < _plan.StepsPerEpoch; s++, _step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var span = TrainerTelemetry.Source.StartActivity("step");
            span?.SetTag("epoch", epoch).SetTag("step", _step);
            var gradient = _gradients.Compute(_weights, orders, s);
            var updateStart = clock.Elapsed;
            var loss = StepUpdate.Apply(_plan.Partitions, [gradient], _scratch, _meanGradient, _optimiser, _weights, _schedule, _guard, _noise, _step, epoch);
            var updateSeconds = (clock.Elapsed - updateStart).TotalSeconds;
            update += updateSeconds;
            TrainerTelemetry.StepDone("local", gradient.Rows, loss, 1000 * gradient.ComputeSeconds, 0, 1000 * updateSeconds, 0,
                TrainerTelemetry.GradientNorm.Enabled ? Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(_meanGradient)) : null, _noise.Value);
            compute += gradient.ComputeSeconds;
            lossSum += loss;
            rows += gradient.Rows;
            observer.StepCompleted(epoch, s + 1, _plan.StepsPerEpoch, loss / gradient.Rows);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return Task.FromResult(new EpochStats(epoch, lossSum, rows, _plan.StepsPerEpoch, seconds, compute, 0, update, 0, _schedule.At(_step - 1), NoiseScale: _noise.Value));
    }

    public Task<float[]> WeightsAsync(CancellationToken cancellation) => Task.FromResult((float[])_weights.Clone());

    public Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation)
    {
        var data = part == DataPart.Validation ? _data.Validation : _data.Test;
        if (data is null) return Task.FromResult(new MetricSums());
        return Task.FromResult(Evaluator.Sums(Network, _kernel, weights, data, _options.Threads));
    }
}
