using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Trainer.Core.Training;

/// <summary>
/// The product's telemetry, named "Trainer": spans per epoch (where the loop runs), per step (where
/// the update happens) and per gradient (on each worker), and the instruments below, all tagged with
/// the job (label <c>trainer_job</c>: Prometheus keeps <c>job</c> for its scrape job). Times are in seconds, as
/// Prometheus's conventions have them (<c>trainer_step_duration_seconds</c>), in buckets that fit a step.
/// Nothing is recorded unless a listener (the OpenTelemetry SDK, set up by --telemetry) is attached.
/// </summary>
public static class TrainerTelemetry
{
    public const string Name = "Trainer";

    public static ActivitySource Source { get; } = new(Name);
    public static Meter Meter { get; } = new(Name);

    /// <summary>The label that names the job on every series.</summary>
    public const string JobLabel = "trainer_job";

    /// <summary>
    /// Step-time buckets: 0.5 ms to 11.6 s, each √2 times the last (30 bounds). A small model's step
    /// takes a few milliseconds, a convolutional network's on a large batch seconds; at √2 a quantile
    /// read from the buckets is within a bucket's width of the truth anywhere in that range (the
    /// SDK's default bounds, 0 to 10000 in steps meant for milliseconds, put every step in one bucket).
    /// </summary>
    public static IReadOnlyList<double> StepBuckets { get; } = Enumerable.Range(0, 30).Select(k => 0.0005 * Math.Pow(2, k / 2.0)).ToArray();

    private static InstrumentAdvice<double> Seconds { get; } = new() { HistogramBucketBoundaries = StepBuckets };

    public static Counter<long> Samples { get; } = Meter.CreateCounter<long>("trainer.samples", "{sample}", "training samples processed");
    public static Histogram<double> StepTime { get; } = Meter.CreateHistogram("trainer.step.duration", "s", "a whole step: computation, communication and update", advice: Seconds);
    public static Histogram<double> ComputeTime { get; } = Meter.CreateHistogram("trainer.step.compute", "s", "gradient computation per step (slowest worker)", advice: Seconds);
    public static Histogram<double> CommunicationTime { get; } = Meter.CreateHistogram("trainer.step.communication", "s", "time on the wire per step, and waiting", advice: Seconds);
    public static Histogram<double> UpdateTime { get; } = Meter.CreateHistogram("trainer.step.update", "s", "the server's reduction and update per step", advice: Seconds);
    public static Counter<long> BytesSent { get; } = Meter.CreateCounter<long>("trainer.bytes", "By", "weights and gradients on the wire");
    public static Gauge<double> Loss { get; } = Meter.CreateGauge<double>("trainer.loss", null, "mean training loss of the last step");
    public static Gauge<double> GradientNorm { get; } = Meter.CreateGauge<double>("trainer.gradient.norm", null, "norm of the last step's mean gradient");
    public static Gauge<double> NoiseScale { get; } = Meter.CreateGauge<double>("trainer.noise_scale", null, "gradient noise scale B_simple");
    public static Histogram<int> Staleness { get; } = Meter.CreateHistogram<int>("trainer.staleness", "{version}", "async and SSP: weight versions between a worker's read and its update");
    public static Gauge<double> Validation { get; } = Meter.CreateGauge<double>("trainer.validation", null, "validation accuracy (R² for regression) at the last epoch");

    public static Gauge<int> BatchSize { get; } = Meter.CreateGauge<int>("trainer.batch.size", null, "--batch auto: the running epoch's global batch");
    public static Gauge<double> BatchLrGain { get; } = Meter.CreateGauge<double>("trainer.batch.lr_gain", null, "--batch auto: AdaScale's learning-rate gain for the running epoch's batch");
    public static Gauge<double> BatchEfficiency { get; } = Meter.CreateGauge<double>("trainer.batch.efficiency", null, "--batch auto: predicted statistical efficiency (φ + M₀)/(φ + M) of the running epoch's batch");
    public static Gauge<double> BatchGoodput { get; } = Meter.CreateGauge<double>("trainer.batch.goodput", null, "--batch auto: predicted goodput (useful samples per second) of the running epoch's batch");

    public static KeyValuePair<string, object?> Job(string job) => new(JobLabel, job);

    /// <summary>--batch auto: the batch, gain and prediction of the epoch that starts.</summary>
    public static void BatchDecided(string job, Scaling.BatchEpoch entry)
    {
        var tag = Job(job);
        BatchSize.Record(entry.Batch, tag);
        BatchLrGain.Record(entry.LrGain, tag);
        if (entry.Efficiency is { } efficiency) BatchEfficiency.Record(efficiency, tag);
        if (entry.Goodput is { } goodput) BatchGoodput.Record(goodput, tag);
    }

    /// <summary>A step's span, under its epoch's (the epoch may run in another call, as a cluster's epochs stream).</summary>
    public static Activity? StartStep(string job, int epoch, long step, ActivityContext epochSpan) =>
        Source.StartActivity("step", ActivityKind.Internal, epochSpan)?.SetTag("job", job).SetTag("epoch", epoch).SetTag("step", step);

    /// <summary>Records one step's figures, its times in seconds.</summary>
    public static void StepDone(string job, int rows, double loss, double computeSeconds, double communicationSeconds, double updateSeconds, long bytes, double? gradientNorm, double? noiseScale)
    {
        var tag = Job(job);
        Samples.Add(rows, tag);
        StepTime.Record(computeSeconds + communicationSeconds + updateSeconds, tag);
        ComputeTime.Record(computeSeconds, tag);
        CommunicationTime.Record(communicationSeconds, tag);
        UpdateTime.Record(updateSeconds, tag);
        if (bytes > 0) BytesSent.Add(bytes, tag);
        if (rows > 0) Loss.Record(loss / rows, tag);
        if (gradientNorm is { } norm) GradientNorm.Record(norm, tag);
        if (noiseScale is { } noise) NoiseScale.Record(noise, tag);
    }
}
