namespace Trainer.CommandLine;

/// <summary>The options the trainer and the silo both take, with one meaning: mutual TLS and telemetry.</summary>
public static class SharedOptions
{
    public static IReadOnlyList<OptionInfo> Tls { get; } =
    [
        new("--tls-certificate", "mutual TLS: this process's certificate, a .pfx/.p12 (with --tls-password) or PEM with its key (default: none, plain TCP)", "FILE"),
        new("--tls-password", "the PKCS#12 file's password (default: none)", "TEXT"),
        new("--tls-store-subject", "mutual TLS: a certificate from the CurrentUser\\My store by subject name, instead of a file (default: none)", "NAME"),
        new("--tls-ca", "the cluster's CA certificate (PEM or DER): peers must chain to it (default: the system's trusted roots)", "FILE"),
    ];

    public static IReadOnlyList<OptionInfo> Telemetry { get; } =
    [
        new("--telemetry", "none (default) | console | otlp: OpenTelemetry spans (epoch, step, gradient, Orleans calls) and the Trainer meter", "KIND")
            { Choices = ["none", "console", "otlp"] },
        new("--otlp-endpoint", "with --telemetry otlp: the collector (default $OTEL_EXPORTER_OTLP_ENDPOINT or http://localhost:4317)", "URI"),
    ];
}
