using System.Globalization;
using System.Net;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// The silo's settings, read from <see cref="SiloSettings"/> (the command line, the environment or
/// appsettings.json) with every default filled in. In a Kubernetes pod (POD_IP set by the downward
/// API) the silo advertises POD_IP, takes its name from POD_NAME and its ids from ORLEANS_SERVICE_ID /
/// ORLEANS_CLUSTER_ID, serves health probes, and needs Redis membership: a pod has no fixed primary.
/// </summary>
public sealed record SiloOptions(string Cluster, int SiloPort, int GatewayPort, IPEndPoint? Primary, IPAddress Advertise, string ServiceId, string ClusterId,
    string CheckpointDir, bool FastFailureDetection, string? SiloName, int? HealthPort, TimeSpan DrainDelay,
    string Telemetry = TelemetrySetup.None, string? OtlpEndpoint = null, TlsSettings? Tls = null, TimeSpan? StorePatience = null)
{
    /// <summary>The downward-API variables a pod's silo reads.</summary>
    public const string PodIp = "POD_IP", PodName = "POD_NAME", PodNamespace = "POD_NAMESPACE",
        OrleansServiceId = "ORLEANS_SERVICE_ID", OrleansClusterId = "ORLEANS_CLUSTER_ID";

    public const int DefaultPodHealthPort = 8080;

    /// <summary>The folders jobs may read data from besides the built-in sets (--data-root); none: the built-in sets only.</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];
    /// <summary>What this silo's jobs may reserve by their memory estimates (--memory-limit); null: the machine's available memory.</summary>
    public long? MemoryLimit { get; init; }
    /// <summary>At most this many jobs with workers here (--max-jobs); null: no limit.</summary>
    public int? MaxJobs { get; init; }
    /// <summary>SHA-256 fingerprints (upper-case hex) of certificates that may cancel and resume any job (--tls-operators).</summary>
    public IReadOnlyList<string> TlsOperators { get; init; } = [];
    /// <summary>--metrics-port: /metrics and /dashboard, what tells about the jobs (<see cref="MetricsEndpoint"/>); null: not served.</summary>
    public int? MetricsPort { get; init; }
    /// <summary>--metrics-address: the address the metrics port listens on, loopback unless told otherwise.</summary>
    public IPAddress MetricsAddress { get; init; } = IPAddress.Loopback;
    /// <summary>--tls-operators FILE: a file of such fingerprints (a mounted Secret), read when the silo starts (<see cref="ReadOperators"/>).</summary>
    public string? TlsOperatorsFile { get; init; }

    /// <summary>The operators' fingerprints: those given, or those in the file (one or more a line, or comma-separated).</summary>
    public IReadOnlyList<string> ReadOperators()
    {
        if (TlsOperatorsFile is not { } file) return TlsOperators;
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SiloOptionsException($"--tls-operators {file}: cannot be read ({e.Message})"); }
        return Fingerprints(string.Join(',', text.Split('\n', StringSplitOptions.TrimEntries)), Tls, file);
    }

    /// <summary>The settings with their defaults; a bad one is a <see cref="SiloOptionsException"/> naming its option.</summary>
    public static SiloOptions From(SiloSettings settings, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var podIp = environment(PodIp);
        var inPod = !string.IsNullOrEmpty(podIp);

        var cluster = settings.Cluster ?? "localhost";
        if (cluster != "localhost" && !cluster.StartsWith("redis://", StringComparison.Ordinal))
            throw new SiloOptionsException($"--cluster '{cluster}': a silo uses localhost or redis://HOST:PORT");
        if (cluster != "localhost") ReadCluster(cluster);
        if (inPod && cluster == "localhost")
            throw new SiloOptionsException($"{PodIp} is set (a Kubernetes pod): give the silo Redis membership with --cluster redis://HOST:PORT (TRAINER_CLUSTER)");
        var advertise = settings.Advertise ?? podIp;
        var tls = ReadTls(settings);
        return new SiloOptions(
            cluster,
            Port(settings.SiloPort, "--silo-port", 11111),
            Port(settings.GatewayPort, "--gateway-port", 30000),
            settings.Primary is { } primary ? Endpoint(primary) : null,
            advertise is null ? IPAddress.Loopback
                : IPAddress.TryParse(advertise, out var address) ? address
                : throw new SiloOptionsException($"{(settings.Advertise is null ? PodIp : "--advertise")} '{advertise}' is not an IP address"),
            settings.ServiceId ?? NonEmpty(environment(OrleansServiceId)) ?? SiloSetup.DefaultServiceId,
            settings.ClusterId ?? NonEmpty(environment(OrleansClusterId)) ?? SiloSetup.DefaultClusterId,
            settings.CheckpointDir ?? Trainer.Grains.Checkpoints.CheckpointStorage.DefaultFolder,
            settings.FailureDetection switch
            {
                null or "fast" => true,
                "orleans" => false,
                var other => throw new SiloOptionsException($"--failure-detection '{other}': expected fast or orleans"),
            },
            NonEmpty(environment(PodName)),
            settings.HealthPort is { } health ? Port(health, "--health-port", 0) : inPod ? DefaultPodHealthPort : null,
            TimeSpan.FromSeconds(Seconds(settings.DrainDelay, "--drain-delay", inPod ? 5 : 0)),
            settings.Telemetry is { } telemetry && !TelemetrySetup.Kinds.Contains(telemetry)
                ? throw new SiloOptionsException($"--telemetry '{telemetry}': expected {string.Join(", ", TelemetrySetup.Kinds)}")
                : settings.Telemetry ?? TelemetrySetup.None,
            settings.OtlpEndpoint ?? NonEmpty(environment("OTEL_EXPORTER_OTLP_ENDPOINT")),
            tls,
            TimeSpan.FromSeconds(Seconds(settings.StorePatience, "--store-patience", Trainer.Grains.Checkpoints.CheckpointWriter.DefaultPatience.TotalSeconds)))
        {
            DataRoots = Folders(settings.DataRoot),
            MemoryLimit = settings.MemoryLimit is { } limit ? ByteSize.Parse(limit, "--memory-limit") : null,
            MaxJobs = settings.MaxJobs is { } max ? Count(max, "--max-jobs") : null,
            MetricsPort = settings.MetricsPort is { } metrics ? Port(metrics, "--metrics-port", 0) : null,
            MetricsAddress = MetricsListenAddress(settings),
            TlsOperators = settings.TlsOperators is { } operators && !IsFile(operators) ? Fingerprints(operators, tls) : [],
            TlsOperatorsFile = settings.TlsOperators is { } path && IsFile(path) ? NeedsTls(path, tls) : null,
        };
    }

    /// <summary>--metrics-address: an IP address of this machine (0.0.0.0 or :: for every interface), only with --metrics-port.</summary>
    private static IPAddress MetricsListenAddress(SiloSettings settings)
    {
        if (settings.MetricsAddress is not { } text) return IPAddress.Loopback;
        if (settings.MetricsPort is null)
            throw new SiloOptionsException($"--metrics-address {text} goes with a port: add --metrics-port PORT");
        return IPAddress.TryParse(text, out var address) ? address
            : throw new SiloOptionsException($"--metrics-address '{text}' is not an IP address (0.0.0.0 for every interface)");
    }

    /// <summary>--data-root's folders (repeated, or joined with ':'); each must exist now, not when a job first asks.</summary>
    private static IReadOnlyList<string> Folders(string? text)
    {
        if (text is null) return [];
        var folders = text.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var folder in folders)
            if (!Directory.Exists(folder)) throw new SiloOptionsException($"--data-root {folder}: no such folder");
        return folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f))).ToArray();
    }

    private static int Count(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n : throw new SiloOptionsException($"{option} '{text}' is not a whole number of at least 1");

    /// <summary>Operators' certificates by SHA-256 fingerprint, as <c>openssl x509 -noout -fingerprint -sha256</c> prints it (colons optional).</summary>
    private static IReadOnlyList<string> Fingerprints(string text, TlsSettings? tls, string? file = null)
    {
        NeedsTls(text, tls);
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(f =>
        {
            var hex = (f.StartsWith("sha256 Fingerprint=", StringComparison.OrdinalIgnoreCase) ? f[19..] : f).Replace(":", "").ToUpperInvariant();
            return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex
                : throw new SiloOptionsException($"--tls-operators {(file is null ? "" : file + ": ")}'{f}' is not a SHA-256 fingerprint (64 hex digits, as 'openssl x509 -noout -fingerprint -sha256 -in CERT' prints)");
        }).ToArray();
    }

    /// <summary>A value with a '/' names a file of fingerprints; fingerprints have none.</summary>
    private static bool IsFile(string text) => text.Contains('/');

    private static string NeedsTls(string text, TlsSettings? tls) => tls is not null ? text
        : throw new SiloOptionsException("--tls-operators names certificates of a mutual-TLS cluster: add --tls-certificate FILE (and --tls-ca FILE)");

    /// <summary>A cluster spec's own check (redis://HOST:PORT), as the silo's one-line error.</summary>
    private static void ReadCluster(string cluster)
    {
        try { ClusterSpec.Parse(cluster); }
        catch (Trainer.Core.UserInputException e) { throw new SiloOptionsException(e.Message); }
    }

    private static TlsSettings? ReadTls(SiloSettings settings)
    {
        try
        {
            return TlsSettings.From(option => option switch
            {
                "--tls-certificate" => settings.TlsCertificate,
                "--tls-password" => settings.TlsPassword,
                "--tls-store-subject" => settings.TlsStoreSubject,
                "--tls-ca" => settings.TlsCa,
                _ => null,
            });
        }
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
