using Trainer.Grains.Hosting;

namespace Trainer.Grains.Tests.Support;

/// <summary>Embedded clusters of 1, 2 and 3 silos, started on first use and shared by a test class.</summary>
public sealed class Clusters : IAsyncLifetime
{
    private readonly Dictionary<int, Task<EmbeddedCluster>> _clusters = [];
    private readonly Lock _gate = new();

    public Task<EmbeddedCluster> WithSilos(int silos)
    {
        lock (_gate)
        {
            if (!_clusters.TryGetValue(silos, out var cluster)) _clusters[silos] = cluster = EmbeddedCluster.StartAsync(silos);
            return cluster;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cluster in _clusters.Values) await (await cluster).DisposeAsync();
    }
}
