using System.Diagnostics;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Optim;

namespace Trainer.Core.Training;

/// <summary>
/// The single-process trainer (<c>--cluster local</c>) and the reference the cluster must match bit
/// for bit: initialise, then repeat over the steps of each epoch: gradient, update; after each
/// epoch validate and let early stopping decide; finally restore the best weights and test.
/// </summary>
public sealed class ReferenceTrainer(IKernel kernel, ITrainingObserver? observer = null)
{
    private readonly ITrainingObserver _observer = observer ?? new SilentObserver();

    public static ModelSpec SpecFor(TrainOptions options, PreparedData data) =>
        new(options.Model, data.Features, data.Classes, options.Model == ModelSpec.Mlp ? options.Hidden : [], options.Activation);

    public TrainingResult Train(PreparedData data, TrainOptions options, CancellationToken cancellation = default)
    {
        var network = new Network(SpecFor(options, data));
        var weights = network.Initialise(options.Seed);
        var optimiser = new SgdOptimizer(options.Sgd, network.Tensors, network.ParameterCount);
        var plan = new PartitionPlan(data.Train.Count, options.Partitions, options.Batch, options.Seed);
        var schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.Epochs, plan.StepsPerEpoch, options.WarmupEpochs);
        var gradients = new PartitionGradients(network, kernel, data.Train, plan, 0, plan.Partitions, options.Threads);
        var stopping = new EarlyStopping(options.Patience, options.MinDelta);
        var meanGradient = new float[network.ParameterCount];
        var epochs = new List<EpochReport>();
        var clock = new Stopwatch();
        long step = 0, samples = 0;

        for (var epoch = 1; epoch <= options.Epochs && !stopping.ShouldStop; epoch++)
        {
            _observer.EpochStarted(epoch, options.Epochs, plan.StepsPerEpoch);
            var orders = Enumerable.Range(0, plan.Partitions).Select(p => plan.EpochOrder(p, epoch)).ToArray();
            double lossSum = 0;
            var epochStart = clock.Elapsed;
            clock.Start();
            for (var s = 0; s < plan.StepsPerEpoch; s++, step++)
            {
                cancellation.ThrowIfCancellationRequested();
                var learningRate = schedule.At(step);
                var (gradientSum, loss, rows) = gradients.Compute(weights, orders, s);
                if (!double.IsFinite(loss) || !GradientSums.ToMean(gradientSum, rows, meanGradient))
                    throw new TrainingDivergedException(step + 1, epoch, learningRate, double.IsFinite(loss) ? "the gradient is not finite" : "the loss is not finite");
                optimiser.Step(weights, meanGradient, learningRate);
                lossSum += loss;
                samples += rows;
                _observer.StepCompleted(epoch, s + 1, plan.StepsPerEpoch, loss / rows);
            }
            clock.Stop();
            var seconds = (clock.Elapsed - epochStart).TotalSeconds;

            var validation = data.Validation is null ? null : Evaluator.Evaluate(network, kernel, weights, data.Validation, options.Threads);
            var test = data.Test is null ? null : Evaluator.Evaluate(network, kernel, weights, data.Test, options.Threads);
            var report = new EpochReport(epoch, lossSum / plan.Rows, validation, test, seconds, plan.Rows / Math.Max(seconds, 1e-9), schedule.At(step - 1));
            epochs.Add(report);
            _observer.EpochCompleted(report, options.Epochs);
            if (validation is not null) stopping.Observe(epoch, validation, weights);
        }

        var final = stopping.BestWeights ?? weights;
        var bestEpoch = stopping.BestWeights is null ? epochs.Count : stopping.BestEpoch;
        var testMetrics = data.Test is null ? null : Evaluator.Evaluate(network, kernel, final, data.Test, options.Threads);
        return new TrainingResult(network, final, epochs, bestEpoch, stopping.ShouldStop, testMetrics, samples, clock.Elapsed.TotalSeconds);
    }

    private sealed class SilentObserver : ITrainingObserver;
}
