using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Trainer.Grains.Hosting;

/// <summary>
/// One log line per failed TLS handshake on a silo's inbound connections (gateway and silo ports),
/// saying who and why, instead of Orleans's warning with an AuthenticationException and its stack;
/// and at most <see cref="LogBudget.DefaultLimit"/> of them a minute, so that a stranger who keeps
/// connecting cannot flood the log. A watcher outside Orleans's TLS middleware sees each connection
/// start and end, one inside it sees the handshakes that succeed; the certificate check
/// (<see cref="TlsSettings.Trusted"/>) tells the watcher why it refused a certificate.
/// </summary>
public sealed partial class TlsHandshakeLog(ILogger<TlsHandshakeLog> logger, TimeProvider time)
{
    private static readonly AsyncLocal<Attempt?> Current = new();
    // one budget per listening endpoint: a scanner on the gateway port cannot hide a failing silo-to-silo handshake
    private readonly LogBudget _gateway = new(time), _silo = new(time);

    /// <summary>The port a failed handshake came to: the lines of each are rate-limited on their own.</summary>
    internal enum Endpoint { Gateway, Silo }

    /// <summary>One inbound connection's handshake: why its certificate was refused, whether it completed.</summary>
    private sealed class Attempt
    {
        public string? Refused;
        public bool Completed;
    }

    /// <summary>Watches the inbound connections; the TLS middleware must come between the two watchers, so this is called around <c>UseTls</c>.</summary>
    public static void Before(ISiloBuilder silo) =>
        silo.Configure<SiloConnectionOptions>(options =>
        {
            options.ConfigureGatewayInboundConnection(connection => Outer(connection, Endpoint.Gateway));
            options.ConfigureSiloInboundConnection(connection => Outer(connection, Endpoint.Silo));
        });

    /// <inheritdoc cref="Before"/>
    public static void After(ISiloBuilder silo)
    {
        silo.Services.AddSingleton<TlsHandshakeLog>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Configure<SiloConnectionOptions>(options =>
        {
            options.ConfigureGatewayInboundConnection(Inner);
            options.ConfigureSiloInboundConnection(Inner);
        });
        // its own lines replace the TLS middleware's warnings (errors still show)
        silo.Services.AddLogging(logging => logging.AddFilter("Orleans.Connections.Security.TlsServerConnectionMiddleware", LogLevel.Error));
    }

    /// <summary>Called by the certificate check on every handshake: on an inbound one, a refusal is remembered for the log line.</summary>
    public static void Judged(X509Certificate2 remote, bool trusted)
    {
        if (!trusted && Current.Value is { } attempt)
            attempt.Refused = $"its certificate ({TlsHandshakeProbe.Describe(remote)}, SHA-256 {remote.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…) is not signed by the cluster's CA";
    }

    private static void Outer(IConnectionBuilder connection, Endpoint endpoint)
    {
        var log = connection.ApplicationServices.GetRequiredService<TlsHandshakeLog>();
        connection.Use(next => async context =>
        {
            var attempt = Current.Value = new Attempt();
            var started = log._gateway.Now;
            try { await next(context); }
            finally
            {
                Current.Value = null;
                if (!attempt.Completed) log.Failed(endpoint, context.RemoteEndPoint?.ToString() ?? "a peer", attempt.Refused ?? Unjudged(log._gateway.Now - started));
            }
        });
    }

    private static void Inner(IConnectionBuilder connection) =>
        connection.Use(next => context =>
        {
            if (Current.Value is { } attempt) attempt.Completed = true;
            Current.Value = null; // what the connection goes on to do is not its handshake
            return next(context);
        });

    /// <summary>A handshake that failed before the certificate check: the peer sent none, or no TLS at all, or nothing in time.</summary>
    private static string Unjudged(TimeSpan took) =>
        took >= new TlsOptions().HandshakeTimeout
            ? $"it did not finish a handshake within {took.TotalSeconds:F0} s"
            : "it sent no certificate, did not speak TLS, or gave up (a trainer without --tls-certificate, or one whose --tls-ca did not sign this silo's certificate?)";

    internal void Failed(Endpoint endpoint, string peer, string why)
    {
        var port = endpoint == Endpoint.Gateway ? "gateway port" : "silo port";
        switch ((endpoint == Endpoint.Gateway ? _gateway : _silo).Take(out var unlogged))
        {
            case LogBudget.Verdict.Log:
                if (unlogged > 0) HandshakesNotLogged(unlogged, port, LogBudget.Window.TotalSeconds);
                HandshakeFailed(peer, port, why);
                break;
            case LogBudget.Verdict.LogLast:
                HandshakeFailed(peer, port, why);
                LimitReached(LogBudget.DefaultLimit, LogBudget.Window.TotalSeconds, port);
                break;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "TLS handshake with {Peer} on the {Port} failed: {Why}")]
    private partial void HandshakeFailed(string peer, string port, string why);

    [LoggerMessage(2, LogLevel.Warning, "{Limit} failed TLS handshakes within {Seconds} s: further ones are counted, not logged, until the next {Seconds} s ({Port})")]
    private partial void LimitReached(int limit, double seconds, string port);

    [LoggerMessage(3, LogLevel.Warning, "{Count} more failed TLS handshakes on the {Port} were not logged in the last {Seconds} s")]
    private partial void HandshakesNotLogged(int count, string port, double seconds);
}
