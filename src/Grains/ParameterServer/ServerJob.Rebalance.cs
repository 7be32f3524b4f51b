using Trainer.Core.Training;
using Trainer.Grains.Messages;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// Sync mode's rebalance: a slow worker holds every step up, so at step boundaries the partitions
/// are cut again in proportion to the workers' measured speeds (<see cref="SplitBalancer"/>). The
/// bits do not change: the partitions' sums are added in the same fixed tree whoever computes them.
/// A resume or a change of the cluster starts again from the even cut (not kept in the checkpoint).
/// </summary>
public sealed partial class ServerJob
{
    private readonly SplitBalancer _balancer = new();
    private (int First, int Count)[] _balancedRanges = [];

    private bool _rebalanceRefused; // a silo had no room for a larger range: not asked again
    private bool Rebalances => Spec.Mode == JobMode.Sync && Spec.Rebalance && _shards is null && !_rebalanceRefused; // a sharded server keeps the even cut

    /// <summary>One step's compute seconds, each worker's own (the workers are in pool order).</summary>
    private void ObserveStep(IReadOnlyList<StepSums> parts)
    {
        if (!Rebalances) return;
        if (!_pool.Ranges.SequenceEqual(_balancedRanges)) // the first step, or the cluster changed the cut
        {
            _balancer.Reset(_pool.Counts);
            _balancedRanges = _pool.Ranges;
        }
        _balancer.Observe(parts.Select(p => p.ComputeSeconds).ToArray());
    }

    /// <summary>At a step boundary: a new cut when the balancer proposes one; returns the note for the trainer.</summary>
    private async Task<string?> RebalanceAsync()
    {
        if (!Rebalances || !_pool.Ranges.SequenceEqual(_balancedRanges) || _balancer.Propose() is not { } counts) return null;
        var perPartition = _balancer.SecondsPerPartition.ToArray();
        var before = _pool.Counts;
        var (now, then) = (PartitionSplit.StepSeconds(perPartition, before), PartitionSplit.StepSeconds(perPartition, counts));
        if (await _pool.ResplitAsync(counts) is { Done: false } refused)
        {
            _rebalanceRefused = true;
            return $"partitions keep their cut ({string.Join(" ", before)} per worker): {refused.Refusal}";
        }
        _balancer.Changed(counts);
        _balancedRanges = _pool.Ranges;
        Info = Info with { FirstPartitions = _pool.Ranges.Select(r => r.First).ToArray() };
        Rebalanced++;
        return $"partitions follow the workers' speeds: {string.Join(" ", before)} → {string.Join(" ", counts)} per worker (step {now * 1000:F0} ms → {then * 1000:F0} ms predicted)";
    }

    /// <summary>How often this job's partitions were cut again by speed (since the server built it).</summary>
    public int Rebalanced { get; private set; }
}
