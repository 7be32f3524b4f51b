using Microsoft.Extensions.Logging;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Workers;

/// <summary>
/// A job's workers, as its parameter server sees them: which grain is worker i (keyed "job/i.g@silo":
/// its index, how often it was replaced, the silo chosen for it), which partitions it owns, and which
/// version of the weights it already holds (so they are not sent twice). Where the workers are
/// follows the cluster (WorkerPool.Placement.cs). A call to all of them replaces the ones that were
/// lost (their silo died, or their step outlasted the timeout) by fresh activations and asks those
/// again: the same data and weights give the same sums, so no work is lost or applied twice. A
/// fault of the job (bad input, divergence) or of the code fails the call at once.
/// </summary>
public sealed partial class WorkerPool
{
    public const int MaxAttempts = 5;

    private readonly IGrainFactory _grains;
    private readonly JobSpec _spec;
    private readonly ILogger _logger;
    private readonly Func<IReadOnlyList<SiloAddress>> _usableSilos;
    private readonly List<Slot> _slots = [];

    /// <summary>A worker: its grain, the silo chosen for it, the weights version it holds (−1: none), what it loaded.</summary>
    private sealed class Slot(IWorkerGrain grain, SiloAddress? silo)
    {
        public IWorkerGrain Grain { get; } = grain;
        public SiloAddress? Silo { get; } = silo;
        public long Holds { get; set; } = -1;
        public DataShape? Shape { get; set; }
    }

    /// <param name="generations">How often each worker was replaced (the job's state, kept in its checkpoint): new keys never meet old activations.</param>
    /// <param name="usableSilos">The silos that may have work now, in the cluster's order.</param>
    public WorkerPool(IGrainFactory grains, JobSpec spec, int[] generations, ILogger logger, Func<IReadOnlyList<SiloAddress>> usableSilos)
    {
        (_grains, _spec, _logger, _usableSilos) = (grains, spec, logger, usableSilos);
        _generations = [.. generations];
        if (spec.Mode == JobMode.Sync) KernelIdentity = ServerKernelIdentity(spec.Kernel);
    }

    public int Count => _slots.Count;
    /// <summary>Worker calls asked again of a replacement (their worker was lost or timed out), since the pool was made.</summary>
    public int Retries { get; private set; }
    /// <summary>How often each worker was replaced or moved (also workers the pool no longer has, which may come back): part of its key.</summary>
    public int[] Generations => [.. _generations];
    /// <summary>Each worker's partitions: contiguous, near-equal ranges in worker order.</summary>
    public (int First, int Count)[] Ranges { get; private set; } = [];
    /// <summary>What each worker loaded, and where it runs.</summary>
    public DataShape[] Shapes => _slots.Select(s => s.Shape!).ToArray();
    public TimeSpan StepTimeout => TimeSpan.FromSeconds(_spec.StepTimeoutSeconds);
    private TimeSpan LoadTimeout => TimeSpan.FromSeconds(Math.Max(_spec.StepTimeoutSeconds, 30));

    public IWorkerGrain this[int index] => _slots[index].Grain;

    /// <summary>
    /// The weights to send worker i for a version: null when it holds them already; by handle to a worker in
    /// this process in sync and local-sgd modes, where the weights do not change until every worker has answered.
    /// </summary>
    public FloatVector? WeightsFor(int index, long version, FloatVector weights) =>
        _slots[index].Holds == version ? null : SameProcess(index) ? new FloatVector(weights.Values) { InProcess = true } : weights;

    private bool SameProcess(int index) => _spec.Mode is JobMode.Sync or JobMode.LocalSgd && ProcessVectors.IsHere(_slots[index].Silo);

    /// <summary>After a successful call with weights of this version, every worker holds them.</summary>
    public void HoldAll(long version)
    {
        foreach (var slot in _slots) slot.Holds = version;
    }

    /// <summary>One call per worker, all at once, with lost workers replaced and asked again.</summary>
    public async Task<T[]> CallAsync<T>(Func<int, IWorkerGrain, Task<T>> call)
    {
        var results = new T[Count];
        var pending = Enumerable.Range(0, Count).ToList();
        for (var attempt = 1; ; attempt++)
        {
            // the last workers first: worker 0 shares the server's silo, the others' weights have a wire to cross
            var calls = pending.AsEnumerable().Reverse().Select(w => (Worker: w, Call: call(w, _slots[w].Grain).WaitAsync(StepTimeout))).ToArray();
            try { await Task.WhenAll(calls.Select(c => c.Call)); }
            catch (Exception) { /* looked at per call below */ }

            var lost = new List<(int Worker, Exception Error)>();
            foreach (var (worker, task) in calls)
            {
                if (task.IsCompletedSuccessfully) { results[worker] = task.Result; continue; }
                var error = task.Exception!.GetBaseException();
                if (!ClusterFaults.IsLoss(error) || error is ResumeRequiredException) throw error; // the job's own fault, a bug, or a lost shard
                lost.Add((worker, error));
            }
            if (lost.Count == 0) return results;
            if (attempt == MaxAttempts) throw new WorkersLostException(_spec.Job, MaxAttempts, lost[0].Error);
            foreach (var (worker, error) in lost) await ReplaceAsync(worker, error);
            pending = lost.Select(l => l.Worker).ToList();
        }
    }

    /// <summary>A fresh activation under a new key (the old one may be stuck or on a dead silo), on a silo that may have it, set up for the same partitions.</summary>
    public async Task ReplaceAsync(int index, Exception error)
    {
        Retries++;
        WorkerLost(index, error);
        if (_slots[index].Silo is { } lostOn) _unreachable.Add(lostOn); // its silo may be dead or frozen: not there again until the cluster changes
        for (var attempt = 1; ; attempt++)
        {
            var usable = Usable();
            var silo = usable.Count == 0 ? null
                : WorkerPlacement.Assign(_slots.Select((s, i) => i == index || !usable.Contains(s.Silo!) ? null : s.Silo).ToArray(), usable, Count)[index];
            try
            {
                await MoveAsync(index, silo);
                await _slots[index].Grain.Setup(Setup(index)).WaitAsync(StepTimeout);
                return;
            }
            catch (Exception e) when (ClusterFaults.IsLoss(e) && attempt < MaxAttempts)
            {
                WorkerSetupFailed(index, e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    public Task ReleaseAsync() => Task.WhenAll(_slots.Select(s => Quietly(s.Grain.Release())));

    /// <summary>Waits a little for a call that only tidies up; a lost or stuck grain goes away by itself when idle.</summary>
    public static async Task Quietly(Task release)
    {
        try { await release.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (ClusterFaults.IsLoss(e) || e is OrleansException) { }
    }

    /// <summary>Worker <paramref name="index"/> becomes a fresh grain on <paramref name="silo"/> (a new slot when the pool grows), which loads the job's data.</summary>
    private async Task MoveAsync(int index, SiloAddress? silo)
    {
        var generation = index < _generations.Count ? _generations[index] + 1 : 0;
        if (index < _generations.Count) _generations[index] = generation;
        else _generations.Add(generation); // workers grow one index at a time, in order
        if (index < _slots.Count) _ = Quietly(_slots[index].Grain.Release());
        var key = generation == 0 ? $"{_spec.Job}/{index}" : $"{_spec.Job}/{index}.{generation}";
        var slot = new Slot(_grains.GetGrain<IWorkerGrain>(silo is null ? key : SpreadPlacementDirector.OnSilo(key, silo)), silo);
        if (index < _slots.Count) _slots[index] = slot;
        else _slots.Add(slot);
        // loading a large data set takes seconds, but a silo that froze must not hold the job for the grain call's ten minutes
        slot.Shape = await slot.Grain.Load(new WorkerLoad(_spec.Job, _spec.Data, _spec.Options, _spec.Kernel)).WaitAsync(LoadTimeout);
    }

    /// <summary>--batch auto: the largest batch the job may run, which the workers reserve their buffers for; 0: the job's batch.</summary>
    public int MaxBatch { get; set; }

    private WorkerSetup Setup(int index) =>
        new(_spec.Job, index, Count, Ranges[index].First, Ranges[index].Count, _spec.Data, _spec.Options, _spec.Kernel, ServerHere: SameProcess(index), MaxBatch: MaxBatch, Wire: _spec.Wire);
}

/// <summary>Workers kept failing after every attempt to replace them: the cluster is lost (exit 4 at the trainer).</summary>
public sealed class WorkersLostException(string job, int attempts, Exception last)
    : Exception($"job {job}: workers keep failing after {attempts} attempts ({last.Message}); the cluster is lost", last);
