using Trainer.Core;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Grains.Workers;

/// <summary>
/// Where the workers are, following the cluster: at a step boundary the server asks the pool to
/// place them on the silos that may have work (<see cref="WorkerPlacement"/>). A silo that joined
/// gets workers (with <c>--workers auto</c>, the pool grows to one per silo up to the partitions); a
/// silo that left or is leaving hands its workers to the others; then every worker gets its
/// contiguous range of partitions again. Any such split gives the same bits, so nothing is redone.
/// A silo whose kernel differs from the job's, that cannot read the data, or that runs its
/// --max-jobs already, is refused; a new job that every silo refuses is refused itself.
/// </summary>
public sealed partial class WorkerPool
{
    /// <summary>The last generation each worker index had, in this pool or before it (the checkpoint's): a worker that comes back never reuses a key.</summary>
    private readonly List<int> _generations;
    private readonly Dictionary<SiloAddress, string> _refused = [];
    /// <summary>Silos where a worker was lost or could not load: passed over until the cluster changes (a frozen silo is still "active" for a while).</summary>
    private readonly HashSet<SiloAddress> _unreachable = [];
    private long _unreachableSince = -1;

    /// <summary>
    /// What every worker of a sync job computes with: the kernel as the parameter server's own silo
    /// would run it (its update's reductions round by the same vector width), else the first worker's.
    /// </summary>
    public string? KernelIdentity { get; private set; }

    private static string? ServerKernelIdentity(string kernel)
    {
        try { return Trainer.Core.Kernels.KernelChoice.Select(kernel).Identity; }
        catch (UserInputException) { return null; } // no such library on this silo: the workers' silos decide
    }

    /// <summary>False while a worker did not land on the silo chosen for it (a silo that joined is not placeable at once): place again at the next step.</summary>
    public bool Settled { get; private set; } = true;

    private List<SiloAddress> Usable()
    {
        var silos = _usableSilos().Where(s => !_refused.ContainsKey(s)).ToList();
        var reachable = silos.Where(s => !_unreachable.Contains(s)).ToList();
        return reachable.Count > 0 ? reachable : silos;
    }

    /// <summary>The cluster changed (membership's version): silos passed over may be tried again.</summary>
    public void ClusterChanged(long version)
    {
        if (version == _unreachableSince) return;
        _unreachableSince = version;
        _unreachable.Clear();
    }

    /// <summary>
    /// Puts the workers where they should be and gives them their partitions; on a new job it places
    /// all of them (and its faults are the job's). Returns one line per change, for the trainer.
    /// </summary>
    public async Task<IReadOnlyList<string>> PlaceAsync(int partitions)
    {
        var first = _slots.Count == 0;
        var notes = new List<string>();
        var before = _slots.Select(s => s.Silo).ToArray();
        var beforeRanges = Ranges;
        for (var round = 0; ; round++)
        {
            var usable = Usable();
            if (usable.Count == 0 && first && _refused.Count > 0)
                throw new UserInputException($"job {_spec.Job}: every silo was refused ({string.Join("; ", notes)})");
            if (usable.Count == 0) return notes; // nowhere to go: the calls fail and the workers are replaced, or the cluster is lost
            var count = WorkerPlacement.Count(_spec.Workers, usable.Count, partitions);
            var desired = WorkerPlacement.Assign(_slots.Select(s => s.Silo is { } silo && usable.Contains(silo) ? silo : null).ToArray(), usable, count);
            var moves = Enumerable.Range(0, count).Where(i => i >= _slots.Count || !Equals(_slots[i].Silo, desired[i]) || _slots[i].Shape is not { } shape
                || shape.Silo != desired[i].ToString()).ToArray(); // landed elsewhere (the silo was not placeable yet): move it again
            foreach (var extra in _slots.Skip(count)) _ = Quietly(extra.Grain.Release());
            if (_slots.Count > count) _slots.RemoveRange(count, _slots.Count - count);
            if (moves.Length == 0) break;

            var loads = moves.Select(async Task<(int i, string? Refused, bool Lost)> (i) =>
            {
                try { await MoveAsync(i, desired[i]); return (i, null, false); }
                catch (Admission.SiloFullException e) { return (i, e.Message, false); }
                catch (Exception e) when (!first && (e is UserInputException || e is JobFaultException { Kind: JobFaultException.UserError }))
                {
                    return (i, $"it cannot read the data ({e.Message})", false);
                }
                catch (Exception e) when (ClusterFaults.IsLoss(e))
                {
                    WorkerSetupFailed(i, e);
                    _unreachable.Add(desired[i]);
                    return (i, null, true);
                }
            });
            var outcomes = await Task.WhenAll(loads);
            if (outcomes.Any(o => o.Lost))
            {
                if (round + 1 >= MaxAttempts) throw new WorkersLostException(_spec.Job, MaxAttempts, new TimeoutException("workers could not load the data on any silo"));
                continue; // place again without the silos that did not answer
            }
            var refusals = outcomes.Where(r => r.Refused is not null).Select(r => (r.i, Reason: r.Refused!)).ToList();
            // the first worker that loaded sets the job's kernel (on a new job, worker 0 may be on a full silo)
            if (Reference is { } reference) KernelIdentity ??= reference.KernelIdentity;
            foreach (var i in moves.Where(i => _slots[i].Shape is { } shape && Differs(shape)))
                refusals.Add((i, Refusal(_slots[i].Shape!)));
            if (refusals.Count == 0) break;
            foreach (var (i, reason) in refusals)
            {
                var silo = desired[i];
                _refused[silo] = reason!;
                notes.Add(reason.StartsWith("silo ", StringComparison.Ordinal) ? reason : $"silo {silo} is refused: {reason}");
            }
            if (round == 8) throw new UserInputException($"job {_spec.Job}: every silo was refused ({string.Join("; ", notes)})");
        }

        Settled = _slots.All(s => s.Silo is null || s.Shape?.Silo == s.Silo.ToString());
        Ranges = PartitionSplit.Ranges(PartitionSplit.Even(partitions, Count));
        var changed = Enumerable.Range(0, Count).Where(i => i >= before.Length || !Equals(before[i], _slots[i].Silo) || i >= beforeRanges.Length || beforeRanges[i] != Ranges[i]).ToArray();
        if (changed.Length == 0) return notes;
        if (!first) await Task.WhenAll(changed.Select(SetupAgainAsync));
        if (!first) notes.Add($"workers follow the cluster: {Count} worker{(Count == 1 ? "" : "s")} on {_slots.Select(s => s.Shape!.Silo).Distinct().Count()} silos");
        return notes;
    }

    /// <summary>Every worker sets up its partitions (a new job's, once its size is checked).</summary>
    public Task SetupAsync() => Task.WhenAll(_slots.Select((s, i) => s.Grain.Setup(Setup(i))));

    /// <summary>What the first worker that loaded found: the data and kernel the others must match.</summary>
    private DataShape? Reference => _slots.FirstOrDefault(s => s.Shape is not null)?.Shape;

    /// <summary>A worker that cannot give the job's bits: another kernel in sync mode, or other data.</summary>
    private bool Differs(DataShape shape)
    {
        var reference = Reference!;
        return (_spec.Mode == JobMode.Sync && shape.KernelIdentity != KernelIdentity)
               || shape.TrainRows != reference.TrainRows || shape.Features != reference.Features || shape.Classes != reference.Classes;
    }

    private string Refusal(DataShape shape) => shape.KernelIdentity != KernelIdentity
        ? $"its kernel ({shape.KernelIdentity}) differs from the job's ({KernelIdentity}), and a sync job's bits depend on it"
        : $"it reads other data ({shape.TrainRows} training rows, the job has {Reference!.TrainRows})";
}
