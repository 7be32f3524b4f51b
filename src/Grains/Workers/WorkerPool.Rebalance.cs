using Trainer.Core;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;

namespace Trainer.Grains.Workers;

/// <summary>
/// A new cut of the partitions among the same workers (sync mode's rebalance): the workers already
/// hold the job's data (<see cref="DatasetCache"/>), so a worker whose range changed only sets up its
/// new range (its gradient buffers) and is sent the weights again with its next step. No worker may
/// keep its old range while the others have new ones (partitions would be summed twice): a worker
/// lost meanwhile is replaced with its new range, and a silo without room for more partitions puts
/// every worker back on the old cut.
/// </summary>
public sealed partial class WorkerPool
{
    /// <summary>Each worker's partition count under the current cut.</summary>
    public int[] Counts => Ranges.Select(r => r.Count).ToArray();

    /// <summary>Gives the workers contiguous ranges of these counts; false (the old cut kept) when a silo refused the room, with its reason.</summary>
    public async Task<(bool Done, string? Refusal)> ResplitAsync(IReadOnlyList<int> counts)
    {
        if (counts.Count != Count) throw new ArgumentException($"{counts.Count} counts for {Count} workers");
        var before = Ranges;
        var ranges = PartitionSplit.Ranges(counts);
        var changed = Enumerable.Range(0, Count).Where(i => before[i] != ranges[i]).ToArray();
        Ranges = ranges;
        var setups = await Task.WhenAll(changed.Select(async i =>
        {
            try { await SetupOrReplaceAsync(i); return (Exception?)null; }
            catch (Exception e) when (e is UserInputException || e is JobFaultException { Kind: JobFaultException.UserError })
            {
                return e; // the silo's --memory-limit has no room for the larger range
            }
        }));
        if (setups.FirstOrDefault(e => e is not null) is not { } refused)
        {
            Resplit(_spec.Job, string.Join(" ", counts));
            return (true, null);
        }
        Ranges = before;
        await Task.WhenAll(changed.Select(SetupOrReplaceAsync));
        return (false, refused.Message);
    }

    private async Task SetupOrReplaceAsync(int index)
    {
        try { await SetupAgainAsync(index); }
        catch (Exception e) when (ClusterFaults.IsLoss(e)) { await ReplaceAsync(index, e); }
    }

    /// <summary>A worker set up again holds no weights (its job's state is new), so they are sent with its next call.</summary>
    private async Task SetupAgainAsync(int index)
    {
        _slots[index].Holds = -1;
        await _slots[index].Grain.Setup(Setup(index)).WaitAsync(StepTimeout);
    }
}
