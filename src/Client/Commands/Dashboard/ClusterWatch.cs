using Trainer.Client.Cluster;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// dashboard --cluster: the cluster's jobs as 'trainer status' sees them, read again every
/// <see cref="Interval"/> in the background (the page's requests are answered from the last read,
/// never wait on the cluster). A failed read is shown as such, and the next one tried all the same.
/// </summary>
public sealed class ClusterWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;
    private volatile ClusterView _current;

    public ClusterWatch(ClusterConnection connection, string cluster)
    {
        _current = new ClusterView(cluster, DateTime.UtcNow, [], 0, 0, "not read yet");
        _watching = WatchAsync(connection, cluster, _stop.Token);
    }

    public ClusterView Current => _current;

    private async Task WatchAsync(ClusterConnection connection, string cluster, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var list = await ClusterJobs.ReadAsync(connection, stop);
                _current = new ClusterView(cluster, DateTime.UtcNow, list.Jobs, list.OthersRunning, list.OthersEnded, null);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) // the cluster lost or refusing: the page says so; the next read may succeed
            {
                _current = _current with { Error = e.Message.Split('\n')[0] };
            }
        }
        while (await Ticks(timer, stop));
    }

    private static async Task<bool> Ticks(PeriodicTimer timer, CancellationToken stop)
    {
        try { return await timer.WaitForNextTickAsync(stop); }
        catch (OperationCanceledException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}

/// <summary>The cluster's part of runs.json: its jobs as last read (as 'trainer status --json' gives them), or why the last read failed.</summary>
public sealed record ClusterView(string Cluster, DateTime Read, JobStatus[] Jobs, int OtherCertificatesRunning, int OtherCertificatesEnded, string? Error);
