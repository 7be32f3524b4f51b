using System.Runtime.CompilerServices;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Epochs, validation, early stopping and the final test, the same for the single-process trainer
/// and the cluster (where the parameter server runs it): repeat { run the epoch's steps; validate
/// and test; let early stopping (or a reached target) decide; let the runner keep the loop's state };
/// the result is the best epoch's weights and test (the last epoch's when the validation set is too
/// small to pick one by, <see cref="EarlyStoppingPolicy"/>). The loop's state is <see cref="LoopState"/>, so a resumed job
/// continues where its checkpoint left it. It reports as it goes, as a stream of <see cref="LoopEvent"/>s.
/// </summary>
public static class TrainingLoop
{
    /// <param name="validationRows">The validation set's size (0: none); it decides how early stopping may act.</param>
    public static async IAsyncEnumerable<LoopEvent> RunAsync(IEpochRunner runner, TrainOptions options, int validationRows, bool hasTest,
        LoopState state, string job, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var regression = runner.Network.Spec.IsRegression;
        var policy = EarlyStoppingPolicy.For(options, validationRows);
        if (policy.Note is { } note) yield return new LoopNote(note);
        var stopping = new EarlyStopping(policy, state);

        bool AtTarget() => options.StopAtTarget && TargetEpoch(state.Epochs, options.Target) is not null;
        for (var epoch = state.Epochs.Count + 1; epoch <= options.Epochs && !stopping.ShouldStop && !AtTarget(); epoch++)
        {
            using var span = TrainerTelemetry.Source.StartActivity("epoch")?.SetTag("job", job).SetTag("epoch", epoch);
            EpochStats? stats = null;
            await runner.BeginEpochAsync(epoch, state.Epochs, cancellation);
            await foreach (var progress in runner.RunEpochAsync(epoch, span?.Context ?? default, cancellation))
            {
                if (progress.Stats is { } done) stats = done;
                else if (progress.Note is { } line) yield return new LoopNote($"epoch {epoch}, step {progress.Step}: {line}");
                else yield return new StepProgress(epoch, progress.Step, progress.Steps, progress.Loss);
            }
            var validation = validationRows > 0 ? await Score(runner, DataPart.Validation, runner.Weights, regression, cancellation) : null;
            var test = hasTest ? await Score(runner, DataPart.Test, runner.Weights, regression, cancellation) : null;
            if (validation is not null) TrainerTelemetry.Validation.Record(validation.Accuracy ?? validation.R2 ?? 0, TrainerTelemetry.Job(job));

            var report = new EpochReport(epoch, stats!.LossSum / Math.Max(1, stats.Rows), validation, test,
                stats.TrainSeconds, stats.Rows / Math.Max(stats.TrainSeconds, 1e-9), stats.LearningRate, stats);
            state.Epochs.Add(report);
            var best = validation is not null && stopping.Observe(epoch, validation, runner.Weights);
            var verdict = validation is null ? null : new EpochVerdict(stopping.MonitorOf(validation), stopping.Watched(validation), best && policy.RestoreBest);
            await runner.EpochJudgedAsync(cancellation);
            yield return new EpochDone(report, options.Epochs, verdict);
        }

        var bestEpoch = state.BestWeights is null ? state.Epochs.Count : stopping.BestEpoch; // the epoch whose weights are the result
        // that epoch was tested with these very weights: the same sums in the same order, so no second pass is needed
        var testMetrics = hasTest ? state.Epochs[bestEpoch - 1].Test : null;
        yield return new LoopDone(new TrainingOutcome(state.Epochs.ToArray(), bestEpoch, stopping.ShouldStop, testMetrics, TargetEpoch(state.Epochs, options.Target), policy));
    }

    /// <summary>The job's result: the best epoch's weights when early stopping kept them, else the last.</summary>
    public static float[] FinalWeights(IEpochRunner runner, LoopState state) => state.BestWeights ?? runner.Weights;

    /// <summary>Runs the loop to its end in this process, telling the observer as it goes.</summary>
    public static async Task<TrainingResult> RunToEndAsync(IEpochRunner runner, TrainOptions options, int validationRows, bool hasTest,
        ITrainingObserver observer, CancellationToken cancellation = default)
    {
        var state = new LoopState();
        await foreach (var e in RunAsync(runner, options, validationRows, hasTest, state, "local", cancellation))
        {
            observer.Observe(e);
            if (e is LoopDone done) return new TrainingResult(runner.Network, (float[])FinalWeights(runner, state).Clone(), done.Outcome);
        }
        throw new InvalidOperationException("the training loop ended without its outcome");
    }

    /// <summary>The first epoch whose validation accuracy (R² for regression) reached the target.</summary>
    public static int? TargetEpoch(IEnumerable<EpochReport> epochs, double? target) =>
        target is { } t ? epochs.FirstOrDefault(e => e.Validation is { } v && (v.Accuracy ?? v.R2) >= t)?.Epoch : null;

    private static async Task<Metrics> Score(IEpochRunner runner, DataPart part, float[] weights, bool regression, CancellationToken cancellation) =>
        (await runner.EvaluateAsync(part, weights, cancellation)).ToMetrics(regression);
}
