using Microsoft.Extensions.Logging;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Workers;

/// <summary>
/// A job's workers, as its parameter server sees them: which grain is worker i (keyed "job/i", or
/// "job/i.g" after g replacements), which partitions it owns, and which version of the weights it
/// already holds (so they are not sent twice). A call to all of them replaces the ones that were
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
    private readonly IWorkerGrain[] _workers;
    private readonly long[] _holds; // the weights version each worker holds; −1 for none

    /// <param name="generations">How often each worker was replaced (the job's state, kept in its checkpoint).</param>
    public WorkerPool(IGrainFactory grains, JobSpec spec, int[] generations, ILogger logger)
    {
        (_grains, _spec, _logger, Generations) = (grains, spec, logger, generations);
        _workers = Enumerable.Range(0, spec.Workers).Select(i => grains.GetGrain<IWorkerGrain>(Key(i))).ToArray();
        _holds = Enumerable.Repeat(-1L, spec.Workers).ToArray();
    }

    public int Count => _workers.Length;
    public int[] Generations { get; }
    /// <summary>Each worker's partitions, as <see cref="Assign"/> cut them.</summary>
    public (int First, int Count)[] Ranges { get; private set; } = [];
    public TimeSpan StepTimeout => TimeSpan.FromSeconds(_spec.StepTimeoutSeconds);

    public IWorkerGrain this[int index] => _workers[index];

    /// <summary>Every worker loads the job's data (shared within a process) and says what it found and where it runs.</summary>
    public Task<DataShape[]> LoadAsync() => Task.WhenAll(_workers.Select(w => w.Load(Load())));

    /// <summary>Gives worker i of W the contiguous, near-equal range of partitions i·P/W to (i+1)·P/W.</summary>
    public void Assign(int partitions) =>
        Ranges = Enumerable.Range(0, Count).Select(i => (partitions * i / Count, partitions * (i + 1) / Count - partitions * i / Count)).ToArray();

    /// <summary>Every worker sets up its assigned partitions.</summary>
    public Task SetupAsync() => Task.WhenAll(_workers.Select((w, i) => w.Setup(Setup(i))));

    /// <summary>The weights to send worker i for a version: null when it holds them already.</summary>
    public FloatVector? WeightsFor(int index, long version, FloatVector weights) => _holds[index] == version ? null : weights;

    /// <summary>After a successful call with weights of this version, every worker holds them.</summary>
    public void HoldAll(long version) => Array.Fill(_holds, version);

    /// <summary>One call per worker, all at once, with lost workers replaced and asked again.</summary>
    public async Task<T[]> CallAsync<T>(Func<int, IWorkerGrain, Task<T>> call)
    {
        var results = new T[Count];
        var pending = Enumerable.Range(0, Count).ToList();
        for (var attempt = 1; ; attempt++)
        {
            // the last workers first: worker 0 shares the server's silo, the others' weights have a wire to cross
            var calls = pending.AsEnumerable().Reverse().Select(w => (Worker: w, Call: call(w, _workers[w]).WaitAsync(StepTimeout))).ToArray();
            try { await Task.WhenAll(calls.Select(c => c.Call)); }
            catch (Exception) { /* looked at per call below */ }

            var lost = new List<(int Worker, Exception Error)>();
            foreach (var (worker, task) in calls)
            {
                if (task.IsCompletedSuccessfully) { results[worker] = task.Result; continue; }
                var error = task.Exception!.GetBaseException();
                if (!ClusterFaults.IsLoss(error)) throw error; // the job's own fault, or a bug: never retried
                lost.Add((worker, error));
            }
            if (lost.Count == 0) return results;
            if (attempt == MaxAttempts) throw new WorkersLostException(_spec.Job, MaxAttempts, lost[0].Error);
            foreach (var (worker, error) in lost) await ReplaceAsync(worker, error);
            pending = lost.Select(l => l.Worker).ToList();
        }
    }

    /// <summary>A fresh activation under a new key (the old one may be stuck or on a dead silo), set up for the same partitions.</summary>
    public async Task ReplaceAsync(int index, Exception error)
    {
        WorkerLost(index, error);
        _ = Quietly(_workers[index].Release());
        _holds[index] = -1;
        for (var attempt = 1; ; attempt++)
        {
            Generations[index]++;
            _workers[index] = _grains.GetGrain<IWorkerGrain>(Key(index));
            try
            {
                await _workers[index].Load(Load()).WaitAsync(StepTimeout);
                await _workers[index].Setup(Setup(index)).WaitAsync(StepTimeout);
                return;
            }
            catch (Exception e) when (ClusterFaults.IsLoss(e) && attempt < MaxAttempts)
            {
                WorkerSetupFailed(index, e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    public Task ReleaseAsync() => Task.WhenAll(_workers.Select(w => Quietly(w.Release())));

    /// <summary>Waits a little for a call that only tidies up; a lost or stuck grain goes away by itself when idle.</summary>
    public static async Task Quietly(Task release)
    {
        try { await release.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (ClusterFaults.IsLoss(e) || e is OrleansException) { }
    }

    private string Key(int index) => Generations[index] == 0 ? $"{_spec.Job}/{index}" : $"{_spec.Job}/{index}.{Generations[index]}";

    private WorkerLoad Load() => new(_spec.Job, _spec.Data, _spec.Options, _spec.Kernel);

    private WorkerSetup Setup(int index) => new(_spec.Job, index, Count, Ranges[index].First, Ranges[index].Count, _spec.Data, _spec.Options, _spec.Kernel);
}

/// <summary>Workers kept failing after every attempt to replace them: the cluster is lost (exit 4 at the trainer).</summary>
public sealed class WorkersLostException(string job, int attempts, Exception last)
    : Exception($"job {job}: workers keep failing after {attempts} attempts ({last.Message}); the cluster is lost", last);
