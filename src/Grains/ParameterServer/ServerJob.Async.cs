using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;
using Trainer.Grains.Workers;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The asynchronous epoch (async and SSP modes): each worker walks its own steps with the weights it
/// was sent; its gradient is applied as soon as it arrives (Downpour style); in SSP mode a worker
/// may start a step only within the staleness bound (<see cref="SspDispatch"/>). A lost worker is
/// replaced and its step dispatched again while the others go on. Checkpoints are taken at epoch
/// ends only; a lost server repeats the epoch.
/// </summary>
public sealed partial class ServerJob
{
    private async IAsyncEnumerable<EpochProgress> RunAsyncEpoch(int epoch, ActivityContext parent, [EnumeratorCancellation] CancellationToken cancellation)
    {
        // asynchronous workers walk their own partitions through the epoch: they follow the cluster, and a put-off checkpoint is tried again, at epoch boundaries
        if (State.StepInEpoch == 0)
        {
            if (await FollowClusterAsync() is { } moved) PendingNotes.Add(moved);
            await RetryCheckpointAsync();
        }
        foreach (var note in TakeNotes()) yield return note;
        if (State.StepInEpoch < StepsPerEpoch)
        {
            var workers = _pool.Count;
            var dispatch = new SspDispatch(workers, StepsPerEpoch, Spec.Mode == JobMode.Ssp ? Spec.Staleness : int.MaxValue);
            var failures = new int[workers];
            var inFlight = new Dictionary<Task<StepSums>, (int Worker, long Version)>();
            var clock = Stopwatch.StartNew();
            var sinceProgress = Stopwatch.StartNew();
            var epochStartStep = _update.State.Step;
            long updates = 0;
            _pool.HoldAll(-1); // every call sends its own copy: the weights change while a worker computes

            void Dispatch()
            {
                foreach (var w in dispatch.Start())
                {
                    var call = _pool[w].ComputeGradient(epoch, dispatch.StepOf(w), _batch, -1, new FloatVector((float[])Weights.Clone())).WaitAsync(_pool.StepTimeout);
                    inFlight[call] = (w, State.Version);
                }
            }

            Dispatch();
            while (inFlight.Count > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                EnsureActive();
                var finished = await Task.WhenAny(inFlight.Keys);
                var (worker, version) = inFlight[finished];
                inFlight.Remove(finished);
                if (finished.Exception?.GetBaseException() is { } error)
                {
                    if (!ClusterFaults.IsLoss(error)) throw error; // the job's own fault, or a bug: never retried
                    dispatch.Failed(worker);
                    if (++failures[worker] >= WorkerPool.MaxAttempts) throw new WorkersLostException(Spec.Job, WorkerPool.MaxAttempts, error);
                    await _pool.ReplaceAsync(worker, error);
                    EnsureActive();
                    Dispatch();
                    sinceProgress.Restart();
                    yield return new EpochProgress(dispatch.Slowest, StepsPerEpoch, State.Totals.LastLoss); // a heartbeat: the trainer is waiting
                    continue;
                }
                var part = await finished;

                using (TrainerTelemetry.StartStep(Spec.Job, epoch, epochStartStep + updates / workers, parent))
                {
                    var update = Stopwatch.StartNew();
                    var loss = _update.ApplyArrival(part, Weights, epochStartStep + updates / workers, epoch);
                    var staleness = (int)(State.Version - version);
                    State.Version++;
                    updates++;
                    State.Totals.Add(loss, part.Rows, part.ComputeSeconds / workers, 0, update.Elapsed.TotalSeconds, BytesPerStep / workers, staleness);
                    TrainerTelemetry.Staleness.Record(staleness, TrainerTelemetry.Job(Spec.Job));
                    TrainerTelemetry.StepDone(Spec.Job, part.Rows, loss, part.ComputeSeconds, 0, update.Elapsed.TotalSeconds, BytesPerStep / workers, null, _update.NoiseScale);
                }
                dispatch.Completed(worker);
                Dispatch();

                if (sinceProgress.Elapsed >= ProgressInterval && inFlight.Count > 0)
                {
                    sinceProgress.Restart();
                    yield return new EpochProgress(dispatch.Slowest, StepsPerEpoch, State.Totals.LastLoss);
                }
            }
            _update.State.Step = epochStartStep + StepsPerEpoch;
            State.StepInEpoch = StepsPerEpoch;
            State.Totals.Seconds += clock.Elapsed.TotalSeconds;
            await CheckpointAsync();
        }
        foreach (var note in TakeNotes()) yield return note;
        yield return EpochEnd(epoch);
    }
}
