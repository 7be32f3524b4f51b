using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trainer.Core.Training;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The local-sgd epoch (periodic averaging; Lin et al. 2020, "Don't use large mini-batches, use local
/// SGD"): every worker starts a round from the server's weights and takes --average-every steps of its
/// own SGD on its partitions' micro-batches; the server averages what they moved the weights by (by
/// rows, in worker order) and applies it. One exchange per round instead of per step.
/// </summary>
public sealed partial class ServerJob
{
    private async IAsyncEnumerable<EpochProgress> RunLocalSgdEpoch(int epoch, ActivityContext parent, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var sinceProgress = Stopwatch.StartNew();
        while (State.StepInEpoch < StepsPerEpoch)
        {
            cancellation.ThrowIfCancellationRequested();
            EnsureActive();
            if (await FollowClusterAsync() is { } moved) PendingNotes.Add(moved);
            await RetryCheckpointAsync();
            foreach (var note in TakeNotes()) yield return note;
            var clock = Stopwatch.StartNew();
            var steps = Math.Min(Spec.AverageEvery, StepsPerEpoch - State.StepInEpoch);
            var round = await LocalRound(epoch, steps, parent);
            State.Totals.Add(round.Loss, round.Rows, round.Compute, round.RoundTrip - round.Compute, round.Update, BytesPerStep, staleness: 0);
            TrainerTelemetry.StepDone(Spec.Job, round.Rows, round.Loss, round.Compute, Math.Max(0, round.RoundTrip - round.Compute), round.Update, BytesPerStep, null, null);
            State.Version++;
            State.StepInEpoch += steps;
            var every = Spec.CheckpointEvery;
            if (State.StepInEpoch == StepsPerEpoch || (every > 0 && _update.State.Step / every != (_update.State.Step - steps) / every)) // a round that passed a multiple
                await CheckpointAsync();
            State.Totals.Seconds += clock.Elapsed.TotalSeconds;
            if (ProgressDue(sinceProgress)) yield return new EpochProgress(State.StepInEpoch, StepsPerEpoch, round.Loss / round.Rows);
        }
        foreach (var note in TakeNotes()) yield return note;
        yield return EpochEnd(epoch);
    }

    /// <summary>One round: the weights out to every worker that does not hold them, its steps taken there, the moves back and averaged.</summary>
    private async Task<StepTimes> LocalRound(int epoch, int steps, ActivityContext parent)
    {
        using var span = TrainerTelemetry.StartStep(Spec.Job, epoch, _update.State.Step, parent);
        var clock = Stopwatch.StartNew();
        var (s, version, weights, step) = (State.StepInEpoch, State.Version, State.Weights!, _update.State.Step);
        var rounds = await _pool.CallAsync((w, worker) => worker.ComputeLocalRound(epoch, s, steps, step, version, _pool.WeightsFor(w, version, weights)));
        _pool.HoldAll(version);
        var roundTrip = clock.Elapsed.TotalSeconds;

        var update = Stopwatch.StartNew();
        var loss = _update.ApplyAverage(rounds.Select(r => (r.Delta.Values, r.Rows, r.Loss)).ToArray(), weights.Values, steps, epoch);
        return new StepTimes(loss, rounds.Sum(r => r.Rows), rounds.Max(r => r.ComputeSeconds), roundTrip, update.Elapsed.TotalSeconds);
    }
}
