using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Trainer.Grains.Dashboard;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// --metrics-port: what tells about the jobs, <c>/metrics</c> for Prometheus (the Trainer meter and
/// Orleans's) and <c>/dashboard</c> (the jobs whose parameter server runs here), on --metrics-address,
/// loopback unless told otherwise. When the cluster runs TLS it is HTTPS with the silo's certificate,
/// and a client must present a certificate that chains to the cluster's CA, the same trust as the
/// gateway's; without one the handshake fails and nothing is sent. The probes stay on the health
/// port (<see cref="HealthEndpoint"/>), which says nothing about jobs.
/// </summary>
public sealed class MetricsEndpoint(IPAddress address, int port, TlsSettings? tls, string service, JobBoard board) : IHostedService
{
    private WebApplication? _server;
    private MeterProvider? _metrics;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (certificate, ca) = tls is null ? (null, null) : (tls.Certificate(), tls.Ca());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // the silo's console stays the silo's: a refused handshake is not an operator's line
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port, listen =>
        {
            if (certificate is null) return;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = certificate;
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (remote, _, errors) => TlsSettings.Trusted(remote, ca, errors);
            });
        }));
        _metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service))
            .AddMeter([.. PrometheusMetrics.Meters])
            .AddPrometheusExporter()
            .Build();
        var server = builder.Build();
        server.UseOpenTelemetryPrometheusScrapingEndpoint(_metrics, null, PrometheusMetrics.Path, null, null);
        server.Run(context => Answer(context, board));
        try { await server.StartAsync(cancellationToken); }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            _metrics.Dispose();
            await server.DisposeAsync();
            throw new SiloOptionsException($"--metrics-port {port}: cannot listen on {address} ({(e.InnerException ?? e).Message})");
        }
        _server = server;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            await server.StopAsync(cancellationToken);
            await server.DisposeAsync();
        }
        _metrics?.Dispose();
    }

    /// <summary>The URL a scraper uses, as the silo's ready line prints it.</summary>
    public static string Url(IPAddress address, int port, bool tls) =>
        $"{(tls ? "https" : "http")}://{new IPEndPoint(address, port)}{PrometheusMetrics.Path}";

    private static async Task Answer(HttpContext context, JobBoard board)
    {
        if (DashboardPage.For(context.Request.Path.Value, board) is var (type, body))
        {
            context.Response.ContentType = type;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.Body.WriteAsync(body);
            return;
        }
        context.Response.StatusCode = 404;
        await context.Response.WriteAsync($"not found; Prometheus: {PrometheusMetrics.Path}; dashboard: {DashboardPage.Path}\n");
    }
}
