using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Trainer.Core.Training;

/// <summary>
/// The product's telemetry, named "Trainer": spans per epoch (where the loop runs), per step (where
/// the update happens) and per gradient (on each worker), and the instruments below, all tagged with
/// the job. Nothing is recorded unless a listener (the OpenTelemetry SDK, set up by --telemetry) is attached.
/// </summary>
public static class TrainerTelemetry
{
    public const string Name = "Trainer";

    public static ActivitySource Source { get; } = new(Name);
    public static Meter Meter { get; } = new(Name);

    public static Counter<long> Samples { get; } = Meter.CreateCounter<long>("trainer.samples", "{sample}", "training samples processed");
    public static Histogram<double> ComputeTime { get; } = Meter.CreateHistogram<double>("trainer.step.compute", "ms", "gradient computation per step (slowest worker)");
    public static Histogram<double> CommunicationTime { get; } = Meter.CreateHistogram<double>("trainer.step.communication", "ms", "time on the wire per step, and waiting");
    public static Histogram<double> UpdateTime { get; } = Meter.CreateHistogram<double>("trainer.step.update", "ms", "the server's reduction and update per step");
    public static Counter<long> BytesSent { get; } = Meter.CreateCounter<long>("trainer.bytes", "By", "weights and gradients on the wire");
    public static Gauge<double> Loss { get; } = Meter.CreateGauge<double>("trainer.loss", null, "mean training loss of the last step");
    public static Gauge<double> GradientNorm { get; } = Meter.CreateGauge<double>("trainer.gradient.norm", null, "norm of the last step's mean gradient");
    public static Gauge<double> NoiseScale { get; } = Meter.CreateGauge<double>("trainer.noise_scale", null, "gradient noise scale B_simple");
    public static Histogram<int> Staleness { get; } = Meter.CreateHistogram<int>("trainer.staleness", "{version}", "async and SSP: weight versions between a worker's read and its update");
    public static Gauge<double> Validation { get; } = Meter.CreateGauge<double>("trainer.validation", null, "validation accuracy (R² for regression) at the last epoch");

    public static KeyValuePair<string, object?> Job(string job) => new("job", job);

    /// <summary>A step's span, under its epoch's (the epoch may run in another call, as a cluster's epochs stream).</summary>
    public static Activity? StartStep(string job, int epoch, long step, ActivityContext epochSpan) =>
        Source.StartActivity("step", ActivityKind.Internal, epochSpan)?.SetTag("job", job).SetTag("epoch", epoch).SetTag("step", step);

    /// <summary>Records one step's figures.</summary>
    public static void StepDone(string job, int rows, double loss, double computeMs, double communicationMs, double updateMs, long bytes, double? gradientNorm, double? noiseScale)
    {
        var tag = Job(job);
        Samples.Add(rows, tag);
        ComputeTime.Record(computeMs, tag);
        CommunicationTime.Record(communicationMs, tag);
        UpdateTime.Record(updateMs, tag);
        if (bytes > 0) BytesSent.Add(bytes, tag);
        if (rows > 0) Loss.Record(loss / rows, tag);
        if (gradientNorm is { } norm) GradientNorm.Record(norm, tag);
        if (noiseScale is { } noise) NoiseScale.Record(noise, tag);
    }
}
