namespace Trainer.Core.Training;

/// <summary>
/// Epochs, validation, early stopping and the final test, the same for the single-process trainer
/// and the cluster: repeat { run the epoch's steps; validate; let early stopping (or a reached
/// target) decide; let the runner keep the loop's state }; then restore the best weights (unless the
/// validation set is too small to pick them by, <see cref="EarlyStoppingPolicy"/>) and test them.
/// A resumed job starts from the loop state its checkpoint kept.
/// </summary>
public static class TrainingLoop
{
    /// <param name="validationRows">The validation set's size (0: none); it decides how early stopping may act.</param>
    public static async Task<TrainingResult> RunAsync(IEpochRunner runner, TrainOptions options, int validationRows, bool hasTest,
        ITrainingObserver observer, CancellationToken cancellation, LoopState? resumeFrom = null, float[]? bestWeights = null, string job = "local")
    {
        var regression = runner.Network.Spec.IsRegression;
        var hasValidation = validationRows > 0;
        var state = resumeFrom ?? LoopState.Initial;
        var policy = EarlyStoppingPolicy.For(options, validationRows);
        if (policy.Note is { } note) observer.Note(note);
        var stopping = new EarlyStopping(policy, state.Stopping, bestWeights);
        var epochs = state.Epochs.ToList();
        float[] weights = [];

        bool AtTarget() => options.StopAtTarget && TargetEpoch(epochs, options.Target) is not null;
        for (var epoch = epochs.Count + 1; epoch <= options.Epochs && !stopping.ShouldStop && !AtTarget(); epoch++)
        {
            observer.EpochStarted(epoch, options.Epochs, runner.StepsPerEpoch);
            using var span = TrainerTelemetry.Source.StartActivity("epoch");
            span?.SetTag("job", job).SetTag("epoch", epoch);
            var stats = await runner.RunEpochAsync(epoch, observer, cancellation);
            weights = await runner.WeightsAsync(cancellation);
            var validation = hasValidation ? (await runner.EvaluateAsync(DataPart.Validation, weights, cancellation)).ToMetrics(regression) : null;
            var test = hasTest ? (await runner.EvaluateAsync(DataPart.Test, weights, cancellation)).ToMetrics(regression) : null;
            if (validation is not null) TrainerTelemetry.Validation.Record(validation.Accuracy ?? validation.R2 ?? 0, TrainerTelemetry.Job(job));

            var report = new EpochReport(epoch, stats.LossSum / Math.Max(1, stats.Rows), validation, test,
                stats.TrainSeconds, stats.Rows / Math.Max(stats.TrainSeconds, 1e-9), stats.LearningRate, stats);
            epochs.Add(report);
            observer.EpochCompleted(report, options.Epochs);
            var best = validation is not null && stopping.Observe(epoch, validation, weights);
            await runner.EpochCompletedAsync(new LoopState(epochs.ToArray(), stopping.State), best ? stopping.BestWeights : null, cancellation);
        }

        var final = stopping.BestWeights ?? (weights.Length > 0 ? weights : await runner.WeightsAsync(cancellation));
        var bestEpoch = stopping.BestWeights is null ? epochs.Count : stopping.BestEpoch; // the epoch whose weights are returned
        var testMetrics = hasTest ? (await runner.EvaluateAsync(DataPart.Test, final, cancellation)).ToMetrics(regression) : null;
        return new TrainingResult(runner.Network, final, epochs, bestEpoch, stopping.ShouldStop, testMetrics,
            epochs.Sum(e => e.Stats.Rows), epochs.Sum(e => e.TrainSeconds), TargetEpoch(epochs, options.Target), policy);
    }

    /// <summary>The first epoch whose validation accuracy (R² for regression) reached the target.</summary>
    public static int? TargetEpoch(IEnumerable<EpochReport> epochs, double? target) =>
        target is { } t ? epochs.FirstOrDefault(e => e.Validation is { } v && (v.Accuracy ?? v.R2) >= t)?.Epoch : null;
}
