using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Epochs, validation, early stopping and the final test, the same for the single-process trainer
/// and the cluster: repeat { run the epoch's steps; validate; let early stopping decide }; then
/// restore the best weights and test them.
/// </summary>
public static class TrainingLoop
{
    public static async Task<TrainingResult> RunAsync(IEpochRunner runner, TrainOptions options, bool hasValidation, bool hasTest,
        ITrainingObserver observer, CancellationToken cancellation)
    {
        var regression = runner.Network.Spec.IsRegression;
        var stopping = new EarlyStopping(options.Patience, options.MinDelta);
        var epochs = new List<EpochReport>();
        float[] weights = [];

        for (var epoch = 1; epoch <= options.Epochs && !stopping.ShouldStop; epoch++)
        {
            observer.EpochStarted(epoch, options.Epochs, runner.StepsPerEpoch);
            var stats = await runner.RunEpochAsync(epoch, observer, cancellation);
            weights = await runner.WeightsAsync(cancellation);
            var validation = hasValidation ? (await runner.EvaluateAsync(DataPart.Validation, weights, cancellation)).ToMetrics(regression) : null;
            var test = hasTest ? (await runner.EvaluateAsync(DataPart.Test, weights, cancellation)).ToMetrics(regression) : null;

            var report = new EpochReport(epoch, stats.LossSum / Math.Max(1, stats.Rows), validation, test,
                stats.TrainSeconds, stats.Rows / Math.Max(stats.TrainSeconds, 1e-9), stats.LearningRate, stats);
            epochs.Add(report);
            observer.EpochCompleted(report, options.Epochs);
            if (validation is not null) stopping.Observe(epoch, validation, weights);
        }

        var final = stopping.BestWeights ?? weights;
        var bestEpoch = stopping.BestWeights is null ? epochs.Count : stopping.BestEpoch;
        var testMetrics = hasTest ? (await runner.EvaluateAsync(DataPart.Test, final, cancellation)).ToMetrics(regression) : null;
        return new TrainingResult(runner.Network, final, epochs, bestEpoch, stopping.ShouldStop, testMetrics,
            epochs.Sum(e => e.Stats.Rows), epochs.Sum(e => e.TrainSeconds));
    }
}
