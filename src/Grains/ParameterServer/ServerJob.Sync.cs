using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trainer.Core.Training;

namespace Trainer.Grains.ParameterServer;

/// <summary>The synchronous epoch: every worker computes step s with the same weights; the sums are combined in the fixed tree order; one update.</summary>
public sealed partial class ServerJob
{
    private readonly record struct StepTimes(double Loss, int Rows, double Compute, double RoundTrip, double Update);

    private async IAsyncEnumerable<EpochProgress> RunSyncEpoch(int epoch, ActivityContext parent, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var sinceProgress = Stopwatch.StartNew();
        while (State.StepInEpoch < StepsPerEpoch)
        {
            cancellation.ThrowIfCancellationRequested();
            EnsureActive();
            if (await FollowClusterAsync() is { } moved) PendingNotes.Add(moved);
            else if (await RebalanceAsync() is { } rebalanced) PendingNotes.Add(rebalanced);
            await RetryCheckpointAsync();
            foreach (var note in TakeNotes()) yield return note;
            var clock = Stopwatch.StartNew();
            var step = _shards is null ? await Step(epoch, parent) : await ShardedStep(epoch, parent);
            State.Totals.Add(step.Loss, step.Rows, step.Compute, step.RoundTrip - step.Compute, step.Update, BytesPerStep, staleness: 0);
            TrainerTelemetry.StepDone(Spec.Job, step.Rows, step.Loss, step.Compute, Math.Max(0, step.RoundTrip - step.Compute), step.Update,
                BytesPerStep, LastGradientNorm, _update.NoiseScale);
            State.Version++;
            State.StepInEpoch++;

            if (State.StepInEpoch == StepsPerEpoch || (Spec.CheckpointEvery > 0 && _update.State.Step % Spec.CheckpointEvery == 0))
                await CheckpointAsync();
            State.Totals.Seconds += clock.Elapsed.TotalSeconds;
            if (ProgressDue(sinceProgress)) yield return new EpochProgress(State.StepInEpoch, StepsPerEpoch, step.Loss / step.Rows);
        }
        if (_shards is not null) await GatherShardsAsync();
        foreach (var note in TakeNotes()) yield return note;
        yield return EpochEnd(epoch);
    }

    /// <summary>One synchronous step: the weights out to every worker that does not hold them, their block sums back, the tree completed, one update.</summary>
    private async Task<StepTimes> Step(int epoch, ActivityContext parent)
    {
        using var span = TrainerTelemetry.StartStep(Spec.Job, epoch, _update.State.Step, parent);
        var clock = Stopwatch.StartNew();
        var (s, version, weights, batch) = (State.StepInEpoch, State.Version, State.Weights!, _batch); // not written until every worker has answered
        var parts = await _pool.CallAsync((w, worker) => worker.ComputeGradient(epoch, s, batch, version, _pool.WeightsFor(w, version, weights)));
        _pool.HoldAll(version);
        ObserveStep(parts);
        var roundTrip = clock.Elapsed.TotalSeconds;

        var update = Stopwatch.StartNew();
        var loss = _update.Apply(parts, weights.Values, epoch);
        LastGradientNorm = TrainerTelemetry.GradientNorm.Enabled ? _update.GradientNorm : null;
        return new StepTimes(loss, parts.Sum(p => p.Rows), parts.Max(p => p.ComputeSeconds), roundTrip, update.Elapsed.TotalSeconds);
    }
}
