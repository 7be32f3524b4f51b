using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Trainer.Grains.Checkpoints;

namespace Trainer.Grains.Hosting;

/// <summary>
/// N silos inside this process (<c>--cluster embedded:N</c>): one generic host per silo, localhost
/// clustering on free loopback ports with the first silo as primary, and a cluster id of its own so
/// that several embedded clusters on one machine never meet. The process reaches the grains through
/// the first silo's own grain factory, without a client hop.
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly List<IHost?> _hosts = []; // a stopped silo leaves an empty slot: indices stay valid

    private EmbeddedCluster() { }

    /// <summary>The running silos' hosts.</summary>
    public IReadOnlyList<IHost> Hosts => _hosts.OfType<IHost>().ToList();
    public IGrainFactory Grains => GrainsOf(0);

    /// <summary>The grain factory of silo i (to reach the cluster while another silo is stopped).</summary>
    public IGrainFactory GrainsOf(int silo) =>
        (_hosts[silo] ?? throw new InvalidOperationException($"silo {silo} is stopped")).Services.GetRequiredService<IGrainFactory>();

    /// <summary>Stops silo i as if its machine went away (gracefully: in-process, membership sees a stop).</summary>
    public async Task StopSiloAsync(int silo)
    {
        if (_hosts[silo] is not { } host) return;
        _hosts[silo] = null;
        await host.StopAsync();
        host.Dispose();
    }

    /// <param name="checkpoints">Folder of the file checkpoint storage (silos of one process share it).</param>
    /// <param name="redis">HOST:PORT of a Redis server for membership and checkpoints instead of localhost clustering and files:
    /// then no silo is a single point of failure (tests stop any silo of such a cluster).</param>
    /// <param name="configure">More of each silo's set-up (tests add call filters with it).</param>
    public static async Task<EmbeddedCluster> StartAsync(int silos, string? checkpoints = null, string? redis = null,
        LogLevel logLevel = LogLevel.Error, CancellationToken cancellation = default, Action<ISiloBuilder>? configure = null)
    {
        // the ports are free when chosen, but another process may bind one before a silo does: then start again on others
        for (var attempt = 1; ; attempt++)
        {
            try { return await StartOnceAsync(silos, checkpoints, redis, logLevel, cancellation, configure); }
            catch (Exception e) when (e.GetBaseException() is Microsoft.AspNetCore.Connections.AddressInUseException
                                          or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } && attempt < 5) { }
        }
    }

    private static async Task<EmbeddedCluster> StartOnceAsync(int silos, string? checkpoints, string? redis, LogLevel logLevel, CancellationToken cancellation,
        Action<ISiloBuilder>? configure)
    {
        var cluster = new EmbeddedCluster();
        var clusterId = "embedded-" + Guid.NewGuid().ToString("N")[..8];
        var ports = FreePorts(2 * silos);
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
                SiloSetup.ConfigureQuietLogging(builder.Logging, logLevel);
                var (siloPort, gatewayPort) = (ports[2 * i], ports[2 * i + 1]);
                builder.UseOrleans(silo =>
                {
                    if (redis is null)
                        silo.UseTrainerLocalhostClustering(siloPort, gatewayPort, primary, SiloSetup.DefaultServiceId, clusterId, checkpoints ?? CheckpointStorage.DefaultFolder);
                    else
                        silo.UseTrainerRedisClustering(redis, IPAddress.Loopback, siloPort, gatewayPort, SiloSetup.DefaultServiceId, clusterId)
                            .Configure<ClusterMembershipOptions>(SiloSetup.FastFailureDetection);
                    silo.AddTrainerGrains();
                    configure?.Invoke(silo);
                });
                var host = builder.Build();
                cluster._hosts.Add(host);
                await host.StartAsync(cancellation);
            }
            await cluster.UntilEverySiloSeesAll(cancellation);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A silo's start returns once it has joined; the others learn of it (membership, then the
    /// cluster manifest placement reads) a moment later. Until they do, placement on the first silo
    /// sees only itself and would put every worker there, so wait for every silo to see all.
    /// </summary>
    private async Task UntilEverySiloSeesAll(CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var count = _hosts.Count;
        bool SeesAll(IHost host) =>
            host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == count
            && host.Services.GetRequiredService<Orleans.Runtime.IClusterManifestProvider>().Current.Silos.Count == count;
        while (!_hosts.OfType<IHost>().All(SeesAll))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the {count} embedded silos did not all see each other within 30 s");
            await Task.Delay(50, cancellation);
        }
    }

    /// <summary>Stops the silos, the primary last.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            if (_hosts[i] is not { } host) continue;
            _hosts[i] = null;
            try { await host.StopAsync(); } catch (Exception) { /* stopping anyway */ }
            host.Dispose();
        }
    }

    // Below Linux's ephemeral range (32768-60999): a port the kernel lends to an outgoing connection
    // between our check and the silo's bind made the silo fail with "address in use".
    private const int FirstPort = 20000, EndPort = 32000;
    private static int _nextPort = Random.Shared.Next(FirstPort, EndPort);

    /// <summary>Loopback ports free at this moment (each bound once, then released), handed out in turn from 20000-31999.</summary>
    public static int[] FreePorts(int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                var port = FirstPort + (int)((uint)Interlocked.Increment(ref _nextPort) % (EndPort - FirstPort));
                var listener = new TcpListener(IPAddress.Loopback, port);
                try { listener.Start(); }
                catch (SocketException) { continue; } // taken: the next one
                listener.Stop();
                ports[i] = port;
                break;
            }
        }
        return ports;
    }
}
