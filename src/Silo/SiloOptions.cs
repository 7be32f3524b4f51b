using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// The silo's settings, from the command line (--cluster, --silo-port, …), the environment
/// (TRAINER_CLUSTER, TRAINER_SILO_PORT, …) or appsettings.json, in that order of precedence.
/// </summary>
public sealed record SiloOptions(string Cluster, int SiloPort, int GatewayPort, IPEndPoint? Primary, IPAddress Advertise, string ServiceId, string ClusterId,
    string CheckpointDir, bool FastFailureDetection)
{
    public static SiloOptions From(IConfiguration configuration)
    {
        string? Get(string name) => configuration[name] ?? configuration[name.Replace('-', '_').ToUpperInvariant()];

        var cluster = Get("cluster") ?? "localhost";
        if (cluster != "localhost" && !cluster.StartsWith("redis://", StringComparison.Ordinal))
            throw new SiloOptionsException($"--cluster '{cluster}': a silo uses localhost or redis://HOST:PORT");
        if (cluster != "localhost") ClusterSpec.Parse(cluster);
        var primary = Get("primary");
        return new SiloOptions(
            cluster,
            Port(Get("silo-port"), "--silo-port", 11111),
            Port(Get("gateway-port"), "--gateway-port", 30000),
            primary is null ? null : Endpoint(primary),
            Get("advertise") is { } ip ? (IPAddress.TryParse(ip, out var address) ? address : throw new SiloOptionsException($"--advertise '{ip}' is not an IP address")) : IPAddress.Loopback,
            Get("service-id") ?? SiloSetup.DefaultServiceId,
            Get("cluster-id") ?? SiloSetup.DefaultClusterId,
            Get("checkpoint-dir") ?? Trainer.Grains.Checkpoints.CheckpointStorage.DefaultFolder,
            Get("failure-detection") switch
            {
                null or "fast" => true,
                "orleans" => false,
                var other => throw new SiloOptionsException($"--failure-detection '{other}': expected fast or orleans"),
            });
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
