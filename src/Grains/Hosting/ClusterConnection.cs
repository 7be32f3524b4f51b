using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Trainer.Grains.Hosting;

/// <summary>The cluster could not be reached, or was lost beyond recovery: exit code 4.</summary>
public sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A live connection to the cluster a job runs on: an embedded cluster started here, or an Orleans
/// client connected to silo gateways (localhost clustering) or through Redis membership.
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly EmbeddedCluster? _embedded;
    private readonly IHost? _client;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    private ClusterConnection(ClusterSpec spec, IGrainFactory grains, EmbeddedCluster? embedded, IHost? client,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        Spec = spec; Grains = grains; _embedded = embedded; _client = client; _certificate = certificate;
    }

    /// <summary>With mutual TLS, this trainer's proof that its certificate asks for <paramref name="action"/> on <paramref name="job"/> (jobs belong to certificates); null without.</summary>
    public Admission.CallerProof? Prove(string action, string job) => _certificate is null ? null : Admission.CallerProof.Sign(_certificate, action, job);

    public ClusterSpec Spec { get; }
    public IGrainFactory Grains { get; }

    /// <param name="stepTimeout">How long a step may take: an external client gives a call twice that and 10 s more (time for
    /// the server to replace a stalled worker) before the server counts as lost.</param>
    /// <param name="tls">Mutual TLS to the silos' gateways (silo processes only).</param>
    public static async Task<ClusterConnection> ConnectAsync(ClusterSpec spec, string? checkpoints = null, TimeSpan? stepTimeout = null,
        LogLevel logLevel = LogLevel.Error, CancellationToken cancellation = default, TlsSettings? tls = null, Action<string>? warn = null)
    {
        CheckTls(spec, tls);
        var configureTls = tls?.Configure(); // a bad certificate is a one-line error before any connection
        var certificate = tls?.Certificate();
        if (spec.Kind == ClusterSpec.Embedded)
        {
            var embedded = await EmbeddedCluster.StartAsync(spec.EmbeddedSilos, checkpoints, logLevel: logLevel, cancellation: cancellation);
            return new ClusterConnection(spec, embedded.Grains, embedded, null);
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        SiloSetup.ConfigureQuietLogging(builder.Logging, LogLevel.Critical);
        var attempts = 0;
        string? handshake = null;
        IServiceProvider? services = null;
        builder.UseOrleansClient(client =>
        {
            if (spec.Kind == ClusterSpec.Localhost)
                client.UseLocalhostClustering(spec.GatewayPorts!, SiloSetup.DefaultServiceId, SiloSetup.DefaultClusterId);
            else
            {
                client.UseRedisClustering(options =>
                {
                    options.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(spec.Redis!);
                    // Redis down: the bounded retry below takes seconds, not half a minute
                    (options.ConfigurationOptions.ConnectTimeout, options.ConfigurationOptions.ConnectRetry) = (1000, 1);
                });
                // a trainer Job in the silos' namespace gets the same ids from its environment
                client.Configure<ClusterOptions>(o =>
                {
                    o.ServiceId = NonEmpty(Environment.GetEnvironmentVariable("ORLEANS_SERVICE_ID")) ?? SiloSetup.DefaultServiceId;
                    o.ClusterId = NonEmpty(Environment.GetEnvironmentVariable("ORLEANS_CLUSTER_ID")) ?? SiloSetup.DefaultClusterId;
                });
            }
            client.AddTrainerClient();
            if (configureTls is not null) client.UseTls(configureTls);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = 2 * (stepTimeout ?? TimeSpan.FromSeconds(10)) + TimeSpan.FromSeconds(10));
            // a silo that died or froze leaves the gateway list within seconds (Orleans's default is a minute)
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            // a bounded retry: a cluster that is still starting gets a few seconds, a wrong address fails soon;
            // a failed TLS handshake fails at once, as retrying it cannot help
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                handshake ??= await DiagnoseHandshakeAsync(services, tls, token);
                if (handshake is not null || ++attempts > 5) return false;
                await Task.Delay(TimeSpan.FromSeconds(1), token);
                return true;
            });
        });
        var host = builder.Build();
        services = host.Services;
        try
        {
            await host.StartAsync(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            if (handshake is not null) throw new Trainer.Core.UserInputException($"--cluster {spec}: {handshake}");
            throw new ClusterUnreachableException($"--cluster {spec}: cannot connect after {attempts} attempts ({FirstSentence(e.GetBaseException().Message)})", e);
        }
        var connection = new ClusterConnection(spec, host.Services.GetRequiredService<IClusterClient>(), null, host, certificate);
        if (tls is null) await connection.WarnIfOpenAsync(warn);
        return connection;
    }

    /// <summary>How long one failed connect attempt's probe of the gateways may take (they are probed at once).</summary>
    private static readonly TimeSpan ProbeBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Why the TLS handshake with one of the gateways fails ("the TLS handshake with HOST:PORT failed: …"),
    /// or null: Orleans's client only sees the connection end, so each gateway is asked by a handshake of our own,
    /// all at once and for <see cref="ProbeBound"/> at most; a gateway that stalls or closes is no diagnosis (retries go on).
    /// </summary>
    private static async Task<string?> DiagnoseHandshakeAsync(IServiceProvider? services, TlsSettings? tls, CancellationToken cancellation)
    {
        if (services is null) return null;
        IList<Uri> gateways;
        try { gateways = await services.GetRequiredService<Orleans.Messaging.IGatewayListProvider>().GetGateways(); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; } // no membership: not a handshake's fault
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(ProbeBound);
        var verdicts = await Task.WhenAll(gateways.Select(async gateway =>
        {
            try { return await TlsHandshakeProbe.DiagnoseAsync(gateway.Host, gateway.Port, tls, bound.Token) is { } why ? $"the TLS handshake with {gateway.Host}:{gateway.Port} failed: {why}" : null; }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { return null; } // out of time: no evidence
        }));
        return verdicts.FirstOrDefault(v => v is not null);
    }

    private static int _warned;

    /// <summary>
    /// Without TLS, a cluster whose silos are not all on loopback is open to anyone on the network who
    /// reaches a gateway: said once per process, in one line (a sweep connects many times).
    /// </summary>
    private async Task WarnIfOpenAsync(Action<string>? warn)
    {
        if (warn is null || Volatile.Read(ref _warned) != 0) return;
        Dictionary<SiloAddress, SiloStatus> hosts;
        try { hosts = await Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true); }
        // a warning, not the command: whatever stops the silo listing its hosts (a membership store that
        // has just come back timed out there, and its exception has no codec on the way back) is said
        // by the job's own calls, which wait for the store
        catch (Exception e) when (e is not OperationCanceledException) { return; }
        if (OpenWarning(Spec, hosts.Keys.Select(s => s.Endpoint.Address)) is { } line && Interlocked.Exchange(ref _warned, 1) == 0) warn(line);
    }

    /// <summary>The warning for a cluster without TLS whose silos are at these addresses; null when all are on loopback.</summary>
    public static string? OpenWarning(ClusterSpec spec, IEnumerable<System.Net.IPAddress> silos) =>
        silos.Any(a => !System.Net.IPAddress.IsLoopback(a))
            ? $"warning: --cluster {spec} runs without TLS and is not on loopback: anyone on its network can run, inspect and cancel jobs on it (docs/deploy.md, mutual TLS)"
            : null;

    /// <summary>TLS secures connections to silo processes: with an embedded cluster or the local trainer it is an error, not a silent no-op.</summary>
    public static void CheckTls(ClusterSpec spec, TlsSettings? tls)
    {
        if (tls is not null && spec.Kind is ClusterSpec.Embedded or ClusterSpec.Local)
            throw new Trainer.Core.UserInputException($"--tls-certificate secures connections to silo processes; --cluster {spec} has none to secure");
    }

    /// <summary>Redis's connection errors go on to advise about its connection string; the first sentence says what happened.</summary>
    private static string FirstSentence(string message) => message.IndexOf(". ", StringComparison.Ordinal) is var end and > 0 ? message[..(end + 1)] : message;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The number of active silos.</summary>
    public async Task<int> CountSilosAsync()
    {
        if (_embedded is not null) return _embedded.Hosts.Count;
        var hosts = await Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return hosts.Count;
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null) await _embedded.DisposeAsync();
        if (_client is not null)
        {
            try { await _client.StopAsync(); } catch (Exception) { /* closing anyway */ }
            _client.Dispose();
        }
    }
}
