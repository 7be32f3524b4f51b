using System.Collections.Concurrent;
using Trainer.Core.Data;

namespace Trainer.Grains.Workers;

/// <summary>
/// Prepared data sets shared by every worker in the process (all silos of an embedded cluster, or
/// one silo process), keyed by the data specification and label rule: Fashion-MNIST is 188 MB as
/// float32 and must not be loaded once per worker. Keeps the few most recently used; a load that
/// fails is forgotten so that a corrected file is read again.
/// </summary>
public static class DatasetCache
{
    private const int Capacity = 3;
    private static readonly ConcurrentDictionary<(DataSpec, LabelRule), Entry> Entries = new();

    public static async Task<PreparedData> GetAsync(DataSpec spec, LabelRule rule)
    {
        var key = (spec, rule);
        var entry = Entries.GetOrAdd(key, k => new Entry(Task.Run(() => DataLoader.Prepare(k.Item1, k.Item2))));
        entry.LastUsed = DateTime.UtcNow;
        try
        {
            return await entry.Data;
        }
        catch
        {
            Entries.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
        finally
        {
            Evict();
        }
    }

    private static readonly Lock Eviction = new();

    /// <summary>
    /// Drops the least recently used past <see cref="Capacity"/>, one caller at a time and from a snapshot:
    /// callers that checked the count at once and then each looked for the oldest once emptied it between
    /// the two ("Sequence contains no elements" when three jobs loaded at once).
    /// </summary>
    private static void Evict()
    {
        lock (Eviction)
            while (Entries.ToArray() is { Length: > Capacity } snapshot)
                Entries.TryRemove(snapshot.MinBy(e => e.Value.LastUsed));
    }

    private sealed class Entry(Task<PreparedData> data)
    {
        public Task<PreparedData> Data { get; } = data;
        public DateTime LastUsed { get; set; }
    }
}
