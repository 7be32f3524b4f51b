namespace Trainer.Grains.Workers;

/// <summary>
/// Which silo each of a job's workers should be on, given where they are and the silos that may
/// have work: as even as possible (the first W mod S silos, in order, one more), keeping every
/// worker where it is while its silo may keep it, and putting the others on the silos with the
/// fewest, in silo order. From nothing it is worker i on silo i mod S.
/// </summary>
public static class WorkerPlacement
{
    /// <summary>How many workers a job has: the requested count, or with --workers auto (0) one per usable silo, at most one per partition.</summary>
    public static int Count(int requested, int usableSilos, int partitions) =>
        requested > 0 ? requested : Math.Max(1, Math.Min(usableSilos, partitions));

    /// <param name="current">Each worker's silo now (fewer than <paramref name="workers"/> when the job grows).</param>
    /// <param name="usable">The silos that may have workers, in the cluster's order.</param>
    public static T[] Assign<T>(IReadOnlyList<T?> current, IReadOnlyList<T> usable, int workers) where T : class
    {
        if (usable.Count == 0) throw new ArgumentException("no silo to place workers on", nameof(usable));
        var quota = usable.Select((_, s) => workers / usable.Count + (s < workers % usable.Count ? 1 : 0)).ToArray();
        var assigned = new int[usable.Count];
        var placed = new T?[workers];
        for (var i = 0; i < Math.Min(workers, current.Count); i++)
        {
            var s = current[i] is { } silo ? IndexOf(usable, silo) : -1;
            if (s < 0 || assigned[s] >= quota[s]) continue;
            placed[i] = usable[s];
            assigned[s]++;
        }
        for (var i = 0; i < workers; i++)
        {
            if (placed[i] is not null) continue;
            var s = Enumerable.Range(0, usable.Count).Where(k => assigned[k] < quota[k]).MinBy(k => assigned[k]);
            placed[i] = usable[s];
            assigned[s]++;
        }
        return placed!;
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (var i = 0; i < list.Count; i++)
            if (EqualityComparer<T>.Default.Equals(list[i], item)) return i;
        return -1;
    }
}
