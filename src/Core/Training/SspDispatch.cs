namespace Trainer.Core.Training;

/// <summary>
/// Which workers may start their next step in async and SSP modes (stale synchronous parallel, Ho et
/// al. 2013): each worker walks the epoch's steps in order; an idle worker with steps left may start
/// step k only while every worker has finished at least k − <c>bound</c> steps, that is while it is
/// at most <c>bound</c> steps ahead of the slowest. Async mode has no bound.
/// </summary>
public sealed class SspDispatch(int workers, int steps, int bound = int.MaxValue)
{
    private readonly int[] _done = new int[workers];
    private readonly bool[] _busy = new bool[workers];

    /// <summary>Steps the slowest worker has finished.</summary>
    public int Slowest => _done.Min();

    /// <summary>Every worker has finished every step.</summary>
    public bool Finished => Slowest >= steps;

    /// <summary>The step a worker is on (or would start next).</summary>
    public int StepOf(int worker) => _done[worker];

    /// <summary>The idle workers that may start their next step now, marked busy; their steps are <see cref="StepOf"/>.</summary>
    public IReadOnlyList<int> Start()
    {
        var slowest = Slowest;
        var ready = new List<int>();
        for (var w = 0; w < workers; w++)
        {
            if (_busy[w] || _done[w] >= steps || (long)_done[w] - slowest > bound) continue;
            _busy[w] = true;
            ready.Add(w);
        }
        return ready;
    }

    /// <summary>The worker's step is done and applied.</summary>
    public void Completed(int worker)
    {
        _busy[worker] = false;
        _done[worker]++;
    }

    /// <summary>The worker's step failed: it is idle again with the same step to do (a replacement redoes it).</summary>
    public void Failed(int worker) => _busy[worker] = false;
}
