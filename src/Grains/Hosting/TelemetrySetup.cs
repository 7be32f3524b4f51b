using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Trainer.Core;
using Trainer.Core.Training;

namespace Trainer.Grains.Hosting;

/// <summary>
/// --telemetry none | console | otlp: the OpenTelemetry SDK listening to the product's spans and
/// meter (<see cref="TrainerTelemetry"/>) and to Orleans's own call spans, exported to the console
/// or to an OTLP collector. Disposing it flushes what is left, so even a short job's figures arrive.
/// </summary>
public sealed class TelemetrySetup : IDisposable
{
    public const string None = "none", Console = "console", Otlp = "otlp";
    public static IReadOnlyList<string> Kinds { get; } = [None, Console, Otlp];
    public const string DefaultOtlpEndpoint = "http://localhost:4317";

    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private TelemetrySetup(TracerProvider? traces, MeterProvider? metrics) => (_traces, _metrics) = (traces, metrics);

    /// <param name="service">service.name of the resource: the trainer or a silo.</param>
    public static TelemetrySetup Start(string kind, string? otlpEndpoint, string service)
    {
        if (kind == None) return new TelemetrySetup(null, null);
        var endpoint = ParseEndpoint(otlpEndpoint ?? DefaultOtlpEndpoint);
        var resource = ResourceBuilder.CreateDefault().AddService(service);
        var traces = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource)
            .AddSource(TrainerTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application");
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(TrainerTelemetry.Name);
        if (kind == Console)
        {
            traces.AddConsoleExporter();
            metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000);
        }
        else
        {
            // gRPC (port 4317) unless OTEL_EXPORTER_OTLP_PROTOCOL says http/protobuf (port 4318, a path per signal)
            var http = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") == "http/protobuf";
            var protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            traces.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (http ? new Uri(endpoint, "v1/traces") : endpoint, protocol));
            metrics.AddOtlpExporter((o, reader) =>
            {
                (o.Endpoint, o.Protocol) = (http ? new Uri(endpoint, "v1/metrics") : endpoint, protocol);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000;
            });
        }
        return new TelemetrySetup(traces.Build(), metrics.Build());
    }

    /// <summary>An absolute http(s) URI, or a one-line error naming the option.</summary>
    public static Uri ParseEndpoint(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri : throw new UserInputException($"--otlp-endpoint '{text}': expected an http:// or https:// URI of an OTLP collector, such as {DefaultOtlpEndpoint}");

    public void Dispose()
    {
        _traces?.Dispose();
        _metrics?.Dispose();
    }
}
