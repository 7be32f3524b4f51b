using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains.Dashboard;
using Trainer.Grains.Hosting;

namespace Trainer.Client.CommandLine;

/// <summary>The options every command that connects to a cluster or records telemetry takes, and what they mean.</summary>
public static class CommonOptions
{
    /// <summary>Mutual TLS to silo processes.</summary>
    public static IReadOnlyList<OptionInfo> TlsOptions => SharedOptions.Tls;

    public static IReadOnlyList<OptionInfo> TelemetryOptions => SharedOptions.Telemetry;

    public static OptionInfo CheckpointDir { get; } =
        new("--checkpoint-dir", "embedded clusters: checkpoint folder (default $TRAINER_CHECKPOINTS or ~/.local/share/trainer/checkpoints)", "DIR");

    public static OptionInfo MetricsPort { get; } =
        new("--metrics-port", "serve the Trainer meter and Orleans's meters for Prometheus at http://127.0.0.1:PORT/metrics while the job runs (default: none)", "PORT");

    public static OptionInfo Dashboard { get; } =
        new("--dashboard", "serve a live page of the job at http://127.0.0.1:PORT/dashboard: loss and accuracy curves, throughput, step-time split, noise scale, where the grains run (default: none)", "PORT");

    /// <summary>--dashboard: the page on loopback (a port taken is a one-line error), or null without it.</summary>
    public static DashboardServer? ServeDashboard(ParsedArguments args) =>
        args.Has(Dashboard.Name) ? DashboardServer.Start(Dashboard.Name, args.Int(Dashboard.Name, 0, 1, 65535), new JobBoard()) : null;

    /// <summary>--metrics-port: /metrics on loopback (a port taken is a one-line error), or null without it.</summary>
    public static IDisposable? ServeMetrics(ParsedArguments args) =>
        args.Has(MetricsPort.Name) ? PrometheusMetrics.Serve(MetricsPort.Name, "127.0.0.1", args.Int(MetricsPort.Name, 0, 1, 65535), "trainer") : null;

    /// <summary>The TLS options as given, or null without them.</summary>
    public static TlsSettings? Tls(ParsedArguments args) => TlsSettings.From(args.String);

    /// <summary>--telemetry and --otlp-endpoint; started before any cluster so that Orleans's spans are heard too.</summary>
    public static TelemetrySetup StartTelemetry(ParsedArguments args)
    {
        var kind = args.Choice("--telemetry", TelemetrySetup.None, TelemetrySetup.Kinds);
        if (args.Has("--otlp-endpoint") && kind != TelemetrySetup.Otlp)
            throw new UserInputException($"--otlp-endpoint is where --telemetry otlp sends; this run's telemetry is {kind}");
        var endpoint = args.String("--otlp-endpoint") ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } env ? env : null);
        return TelemetrySetup.Start(kind, endpoint, "trainer");
    }

    /// <summary>Status and cancel talk to a cluster that runs without this process: an embedded one lives inside its trainer.</summary>
    public static ClusterSpec RunningCluster(ParsedArguments args, string command)
    {
        var cluster = ClusterSpec.Parse(args.Required("--cluster"));
        if (cluster.Kind is ClusterSpec.Local or ClusterSpec.Embedded)
            throw new UserInputException($"--cluster {cluster}: 'trainer {command}' needs a cluster of silo processes (localhost:PORT or redis://HOST:PORT); an embedded cluster lives and ends inside its trainer process");
        return cluster;
    }
}
