namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The cluster as a job's parameter server sees it: the silos that may have workers now (active
/// members whose grain manifest this silo has, so placement can pick them, in address order, but for
/// those that said they are leaving), and a version that changes whenever that answer may. A silo
/// that is leaving waits until the job has moved its workers off it.
/// </summary>
public sealed class ClusterView(IClusterMembershipService membership, IClusterManifestProvider manifests)
{
    private readonly Dictionary<SiloAddress, TaskCompletionSource> _leaving = [];
    private long _leavingChanges;

    // A silo that joined is active in the membership a moment before its manifest arrives; until then placement cannot pick it.
    public long Version => membership.CurrentSnapshot.Version.Value * 1_000_000_000 + manifests.Current.Version.Minor * 1_000 + _leavingChanges;

    public IReadOnlyList<SiloAddress> Usable()
    {
        var placeable = manifests.Current.Silos;
        return membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && placeable.ContainsKey(m.SiloAddress) && !_leaving.ContainsKey(m.SiloAddress))
            .Select(m => m.SiloAddress).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToList();
    }

    /// <summary>A silo is about to stop: it gets no more work, and the task ends when the job holds none of its workers.</summary>
    public Task Leaving(SiloAddress silo)
    {
        if (!_leaving.TryGetValue(silo, out var done))
        {
            _leaving[silo] = done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _leavingChanges++;
        }
        return done.Task;
    }

    /// <summary>The job's workers are now on these silos: a leaving silo not among them is free to go.</summary>
    public void Placed(IReadOnlyCollection<string> workerSilos)
    {
        foreach (var (silo, done) in _leaving)
            if (!workerSilos.Contains(silo.ToString())) done.TrySetResult();
    }

    /// <summary>The job ends: no leaving silo waits for it.</summary>
    public void Release()
    {
        foreach (var done in _leaving.Values) done.TrySetResult();
    }
}
