namespace Trainer.Client.Cluster;

/// <summary>
/// Watches the membership for the silo of a job's parameter server while the trainer waits on it.
/// A call to a silo that died only fails when its response times out (tens of seconds); the
/// membership declares the silo dead within seconds (fast failure detection), so when it does, the
/// watch cancels the wait and the trainer resumes the job at once.
/// </summary>
internal sealed class ServerWatch : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1), CallTimeout = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _wait;

    private ServerWatch(IGrainFactory grains, string serverSilo, CancellationToken cancellation)
    {
        _wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _lost.Token);
        _ = WatchAsync(grains.GetGrain<IManagementGrain>(0), serverSilo, _stop.Token);
    }

    public static ServerWatch Start(IGrainFactory grains, string serverSilo, CancellationToken cancellation) => new(grains, serverSilo, cancellation);

    /// <summary>Cancelled by the caller's token, or when the server's silo is declared dead.</summary>
    public CancellationToken Token => _wait.Token;

    public bool ServerDead => _lost.IsCancellationRequested;

    private async Task WatchAsync(IManagementGrain management, string serverSilo, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Dictionary<SiloAddress, SiloStatus> hosts;
                try { hosts = await management.GetHosts(onlyActive: false).WaitAsync(CallTimeout, stop); }
                catch (Exception e) when (e is not OperationCanceledException) { continue; } // the membership is unsure too: the call's own timeout decides
                if (hosts.Any(h => h.Value == SiloStatus.Dead && h.Key.ToString() == serverSilo))
                {
                    _lost.Cancel();
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _wait.Dispose();
        _stop.Dispose();
        _lost.Dispose();
    }
}
