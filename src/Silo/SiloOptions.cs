using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// The silo's settings, from the command line (--cluster, --silo-port, …), the environment
/// (TRAINER_CLUSTER, TRAINER_SILO_PORT, …) or appsettings.json, in that order of precedence.
/// In a Kubernetes pod (POD_IP set by the downward API) the silo advertises POD_IP, takes its name
/// from POD_NAME and its ids from ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID, serves health probes,
/// and needs Redis membership: a pod has no fixed primary to point at.
/// </summary>
public sealed record SiloOptions(string Cluster, int SiloPort, int GatewayPort, IPEndPoint? Primary, IPAddress Advertise, string ServiceId, string ClusterId,
    string CheckpointDir, bool FastFailureDetection, string? SiloName, int? HealthPort, TimeSpan DrainDelay,
    string Telemetry = TelemetrySetup.None, string? OtlpEndpoint = null, TlsSettings? Tls = null)
{
    /// <summary>The downward-API variables a pod's silo reads.</summary>
    public const string PodIp = "POD_IP", PodName = "POD_NAME", PodNamespace = "POD_NAMESPACE",
        OrleansServiceId = "ORLEANS_SERVICE_ID", OrleansClusterId = "ORLEANS_CLUSTER_ID";

    public const int DefaultPodHealthPort = 8080;

    public static SiloOptions From(IConfiguration configuration, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => configuration[name] ?? configuration[name.Replace('-', '_').ToUpperInvariant()];
        var podIp = environment(PodIp);
        var inPod = !string.IsNullOrEmpty(podIp);

        var cluster = Get("cluster") ?? "localhost";
        if (cluster != "localhost" && !cluster.StartsWith("redis://", StringComparison.Ordinal))
            throw new SiloOptionsException($"--cluster '{cluster}': a silo uses localhost or redis://HOST:PORT");
        if (cluster != "localhost") ClusterSpec.Parse(cluster);
        if (inPod && cluster == "localhost")
            throw new SiloOptionsException($"{PodIp} is set (a Kubernetes pod): give the silo Redis membership with --cluster redis://HOST:PORT (TRAINER_CLUSTER)");
        var primary = Get("primary");
        var advertise = Get("advertise") ?? podIp;
        return new SiloOptions(
            cluster,
            Port(Get("silo-port"), "--silo-port", 11111),
            Port(Get("gateway-port"), "--gateway-port", 30000),
            primary is null ? null : Endpoint(primary),
            advertise is null ? IPAddress.Loopback
                : IPAddress.TryParse(advertise, out var address) ? address
                : throw new SiloOptionsException($"{(Get("advertise") is null ? PodIp : "--advertise")} '{advertise}' is not an IP address"),
            Get("service-id") ?? NonEmpty(environment(OrleansServiceId)) ?? SiloSetup.DefaultServiceId,
            Get("cluster-id") ?? NonEmpty(environment(OrleansClusterId)) ?? SiloSetup.DefaultClusterId,
            Get("checkpoint-dir") ?? Trainer.Grains.Checkpoints.CheckpointStorage.DefaultFolder,
            Get("failure-detection") switch
            {
                null or "fast" => true,
                "orleans" => false,
                var other => throw new SiloOptionsException($"--failure-detection '{other}': expected fast or orleans"),
            },
            NonEmpty(environment(PodName)),
            Get("health-port") is { } health ? Port(health, "--health-port", 0) : inPod ? DefaultPodHealthPort : null,
            TimeSpan.FromSeconds(Seconds(Get("drain-delay"), "--drain-delay", inPod ? 5 : 0)),
            Get("telemetry") is { } telemetry && !TelemetrySetup.Kinds.Contains(telemetry)
                ? throw new SiloOptionsException($"--telemetry '{telemetry}': expected {string.Join(", ", TelemetrySetup.Kinds)}")
                : Get("telemetry") ?? TelemetrySetup.None,
            Get("otlp-endpoint") ?? NonEmpty(environment("OTEL_EXPORTER_OTLP_ENDPOINT")),
            ReadTls(name => Get(name[2..])));
    }

    private static TlsSettings? ReadTls(Func<string, string?> option)
    {
        try { return TlsSettings.From(option); }
        catch (Trainer.Core.UserInputException e) { throw new SiloOptionsException(e.Message); }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static double Seconds(string? text, string option, double fallback)
    {
        if (text is null) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 600
            ? seconds : throw new SiloOptionsException($"{option} '{text}' is not a number of seconds from 0 to 600");
    }

    private static int Port(string? text, string option, int fallback)
    {
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port : throw new SiloOptionsException($"{option} '{text}' is not a port number");
    }

    private static IPEndPoint Endpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint : throw new SiloOptionsException($"--primary '{text}': expected IP:PORT of the primary silo");
}

/// <summary>A bad silo setting: one line, exit code 2.</summary>
public sealed class SiloOptionsException(string message) : Exception(message);
