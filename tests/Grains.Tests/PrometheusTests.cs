using System.Text.Json;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// /metrics read by Debian's real Prometheus: a silo process with mutual TLS (on its --metrics-port,
/// over HTTPS with make-certs.sh's prometheus.pem, as the deployments scrape it) and a trainer process
/// (--metrics-port) scraped while a job runs, the figures read back through the query API; the
/// dashboard's data on the same metrics port.
/// </summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_job_s_samples_from_a_tls_silo_and_orleans_meters_from_the_trainer()
    {
        var ports = ChildProcess.FreePorts(4);
        var (siloPort, gatewayPort, siloMetricsPort, metricsPort) = (ports[0], ports[1], ports[2], ports[3]);
        var work = Directory.CreateTempSubdirectory("trainer-prometheus-run-").FullName;
        DeployTests.Run("bash", "deploy/make-certs.sh", work);
        string Cert(string name) => Path.Combine(work, name);
        // the killed job's checkpoint stays behind: in a folder of the test's own
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}",
            "--metrics-port", $"{siloMetricsPort}", "--checkpoint-dir", Path.Combine(work, "checkpoints"),
            "--tls-certificate", Cert("node.pem"), "--tls-ca", Cert("ca.pem"));
        Assert.Contains($"metrics and dashboard at https://127.0.0.1:{siloMetricsPort}/metrics", silo.Output);
        // a job long enough to be scraped while it runs; it is ended with the test
        await using var trainer = await ChildProcess.StartTrainer("epoch 1/", "train", "--cluster", $"localhost:{gatewayPort}", "--hidden", "16",
            "--epochs", "1000", "--patience", "0", "--job", "scraped", "--metrics-port", $"{metricsPort}", "--out", Path.Combine(work, "out"),
            "--tls-certificate", Cert("job.pem"), "--tls-ca", Cert("ca.pem"));
        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string>
        {
            ["silo"] = $"127.0.0.1:{siloMetricsPort}",
            ["trainer"] = $"127.0.0.1:{metricsPort}",
        }, new Dictionary<string, (string, string)> { ["silo"] = (Cert("ca.pem"), Cert("prometheus.pem")) });
        var deadline = TimeSpan.FromSeconds(60);

        // the parameter server runs on the silo: the job's samples are counted there, its name in trainer_job (job stays Prometheus's)
        var samples = await prometheus.UntilAsync("trainer_samples_total", (labels, value) => value > 0, deadline);
        Assert.Equal(("silo", "scraped"), (samples.Labels["job"], samples.Labels["trainer_job"]));
        Assert.False(samples.Labels.ContainsKey("exported_job"));
        await prometheus.UntilAsync("trainer_validation", (labels, value) => labels["trainer_job"] == "scraped" && value > 0, deadline);
        await prometheus.UntilAsync("trainer_step_duration_seconds_count", (labels, value) => labels["trainer_job"] == "scraped" && value > 0, deadline);
        // the trainer's own process: Orleans's client meters
        await prometheus.UntilAsync("count by (job) ({job=\"trainer\", otel_scope_name=\"Microsoft.Orleans\"})", (_, count) => count > 0, deadline);

        // the silo's metrics port also serves the dashboard's data for the job whose parameter server it holds, to a certificate of the CA
        using var http = MetricsPortTests.HttpsClient(Cert("ca.pem"), Cert("prometheus.pem"));
        var jobs = await http.GetStringAsync($"https://127.0.0.1:{siloMetricsPort}/dashboard/jobs.json");
        Assert.Contains("\"job\":\"scraped\"", jobs);
        Assert.Contains("\"parameterServer\":\"S127.0.0.1:", jobs);

        await trainer.KillAsync();
        await silo.KillAsync();
        Directory.Delete(work, true);
    }

}

/// <summary>
/// A step-time histogram whose median, as histogram_quantile reads it from the buckets, is the step
/// time the report gives. A median is a mean only where steps are alike: the job runs alone (no other
/// test's load in this process), on a silo that has run it once already (its code compiled), with
/// steps of tens of milliseconds, long enough that a busy machine's scheduler stretches them evenly
/// rather than a few of them much (steps of a millisecond there gave a median of a fifth of the mean).
/// </summary>
[CollectionDefinition(nameof(StepTimeHistogramTests), DisableParallelization = true)]
[Collection(nameof(StepTimeHistogramTests))]
public sealed class StepTimeHistogramTests
{
    private static async Task<JsonElement> Train(int gatewayPort, string job, string outDir, int epochs)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(["train", "--cluster", $"localhost:{gatewayPort}", "--hidden", "2048", "--batch", "431", "--epochs", $"{epochs}",
            "--patience", "0", "--job", job, "--out", outDir], output, errors);
        Assert.True(code == 0, $"{errors}\n{output}");
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
        return report.RootElement.GetProperty("stepTime").Clone();
    }

    [Fact]
    public async Task The_median_step_time_prometheus_reads_from_the_seconds_histogram_is_the_report_s_mean_step_time()
    {
        var ports = ChildProcess.FreePorts(3);
        var work = Directory.CreateTempSubdirectory("trainer-prometheus-steps-").FullName;
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
            "--metrics-port", $"{ports[2]}", "--checkpoint-dir", Path.Combine(work, "checkpoints"));
        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string> { ["silo"] = $"127.0.0.1:{ports[2]}" });

        await Train(ports[1], "warm-up", Path.Combine(work, "warm-up"), 2);
        var stepTime = await Train(ports[1], "timed", Path.Combine(work, "timed"), 30);
        var finished = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var meanSeconds = (stepTime.GetProperty("computeMs").GetDouble() + stepTime.GetProperty("communicationMs").GetDouble()
                           + stepTime.GetProperty("updateMs").GetDouble()) / 1000;

        // a scrape after the job's end holds all its steps (the silo keeps them until it stops)
        const string job = "{trainer_job=\"timed\"}";
        await prometheus.UntilAsync($"timestamp(trainer_step_duration_seconds_count{job})", (_, at) => at > finished, TimeSpan.FromSeconds(30));
        var steps = (await prometheus.QueryAsync($"trainer_step_duration_seconds_count{job}")).Single().Value;
        var histogramMean = (await prometheus.QueryAsync($"trainer_step_duration_seconds_sum{job} / trainer_step_duration_seconds_count{job}")).Single().Value;
        var median = (await prometheus.QueryAsync($"histogram_quantile(0.5, sum by (le) (trainer_step_duration_seconds_bucket{job}))")).Single().Value;
        var buckets = await prometheus.QueryAsync($"trainer_step_duration_seconds_bucket{job}");

        var detail = $"median {median * 1000:F3} ms, histogram's mean {histogramMean * 1000:F3} ms, report's mean {meanSeconds * 1000:F3} ms over {steps} steps; buckets: " +
                     string.Join(", ", buckets.OrderBy(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], System.Globalization.CultureInfo.InvariantCulture))
                         .Select(b => $"{b.Labels["le"]}:{b.Value}"));
        Assert.True(Math.Abs(histogramMean - meanSeconds) <= 0.02 * meanSeconds, detail); // the same steps, in seconds
        Assert.True(Math.Abs(median - meanSeconds) <= 0.25 * meanSeconds, detail);
        await silo.KillAsync();
        Directory.Delete(work, true);
    }
}
