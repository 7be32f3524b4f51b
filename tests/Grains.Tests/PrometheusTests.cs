using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// /metrics read by Debian's real Prometheus: a silo process (on its health port) and a trainer
/// process (--metrics-port) scraped while a job runs, the figures read back through the query API;
/// and the dashboard's data on the same health port.
/// </summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_job_s_samples_from_the_silo_and_orleans_meters_from_the_trainer()
    {
        var ports = ChildProcess.FreePorts(4);
        var (siloPort, gatewayPort, healthPort, metricsPort) = (ports[0], ports[1], ports[2], ports[3]);
        var work = Path.Combine(Path.GetTempPath(), "trainer-prometheus-run-" + Guid.NewGuid().ToString("N")[..8]);
        // the killed job's checkpoint stays behind: in a folder of the test's own
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}",
            "--health-port", $"{healthPort}", "--checkpoint-dir", Path.Combine(work, "checkpoints"));
        // a job long enough to be scraped while it runs; it is ended with the test
        await using var trainer = await ChildProcess.StartTrainer("epoch 1/", "train", "--cluster", $"localhost:{gatewayPort}", "--hidden", "16",
            "--epochs", "1000", "--patience", "0", "--job", "scraped", "--metrics-port", $"{metricsPort}", "--out", Path.Combine(work, "out"));
        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string>
        {
            ["silo"] = $"127.0.0.1:{healthPort}",
            ["trainer"] = $"127.0.0.1:{metricsPort}",
        });
        var deadline = TimeSpan.FromSeconds(60);

        // the parameter server runs on the silo: the job's samples are counted there, its name in exported_job
        var samples = await prometheus.UntilAsync("trainer_samples_total", (labels, value) => value > 0, deadline);
        Assert.Equal(("silo", "scraped"), (samples.Labels["job"], samples.Labels["exported_job"]));
        await prometheus.UntilAsync("trainer_validation", (labels, value) => labels["exported_job"] == "scraped" && value > 0, deadline);
        // the trainer's own process: Orleans's client meters
        await prometheus.UntilAsync("count by (job) ({job=\"trainer\", otel_scope_name=\"Microsoft.Orleans\"})", (_, count) => count > 0, deadline);

        // the silo's health port also serves the dashboard's data for the job whose parameter server it holds
        using var http = new HttpClient();
        var jobs = await http.GetStringAsync($"http://127.0.0.1:{healthPort}/dashboard/jobs.json");
        Assert.Contains("\"job\":\"scraped\"", jobs);
        Assert.Contains("\"parameterServer\":\"S127.0.0.1:", jobs);

        await trainer.KillAsync();
        await silo.KillAsync();
        Directory.Delete(work, true);
    }
}
