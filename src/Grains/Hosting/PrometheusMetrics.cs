using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Trainer.Core;
using Trainer.Core.Training;

namespace Trainer.Grains.Hosting;

/// <summary>
/// /metrics for Prometheus: the Trainer meter and Orleans's own, through OpenTelemetry's Prometheus
/// exporter on its own HttpListener. A meter provider of its own, so that it works whatever
/// --telemetry says. The trainer's --metrics-port serves it on loopback; a silo's --metrics-port
/// serves the same meters through Kestrel (Trainer.Silo's MetricsEndpoint), for TLS.
/// </summary>
public static class PrometheusMetrics
{
    public const string Path = "/metrics";

    /// <summary>The meters exported: the product's and Orleans's (messaging, grains, membership, …).</summary>
    public static IReadOnlyList<string> Meters { get; } = [TrainerTelemetry.Name, "Microsoft.Orleans"];

    /// <summary>Serves /metrics on <paramref name="host"/>:<paramref name="port"/> until disposed; a port that cannot be had is a one-line error naming <paramref name="option"/>.</summary>
    /// <param name="host">127.0.0.1: the trainer is a workstation's command.</param>
    public static MeterProvider Serve(string option, string host, int port, string service)
    {
        try
        {
            return Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service))
                .AddMeter([.. Meters])
                .AddPrometheusHttpListener(o =>
                {
                    (o.Port, o.ScrapeEndpointPath) = (port, Path);
                    // the exporter's Host goes through UriBuilder, which refuses the wildcard: the prefix is set here instead
                    o.ConfigureHttpListener = (_, listener) =>
                    {
                        listener.Prefixes.Clear();
                        listener.Prefixes.Add($"http://{host}:{port}{Path}/");
                    };
                })
                .Build();
        }
        catch (Exception e) when (e is HttpListenerException || e.InnerException is HttpListenerException)
        {
            throw new UserInputException($"{option} {port}: cannot listen ({(e as HttpListenerException ?? e.InnerException)!.Message})");
        }
    }
}
