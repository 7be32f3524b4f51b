using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Trainer.Grains.Tests.Support;
using Trainer.Silo;

namespace Trainer.Grains.Tests;

/// <summary>A silo process as a Kubernetes pod runs it: downward-API environment, Redis membership, health probes, drain on SIGTERM.</summary>
public sealed class PodSiloTests
{
    /// <summary>The options a silo reads from these command-line options (by name) in this environment, through its own configuration.</summary>
    private static SiloOptions Options(Dictionary<string, string?> options, Dictionary<string, string> environment)
    {
        var configuration = new ConfigurationBuilder().AddSiloSettings(options.ToDictionary(o => $"--{o.Key}", o => o.Value), _ => null).Build();
        return SiloOptions.From(SiloSettings.Read(configuration), name => environment.GetValueOrDefault(name));
    }

    private static readonly Dictionary<string, string> Pod = new()
    {
        [SiloOptions.PodIp] = "10.1.2.3", [SiloOptions.PodName] = "silo-7d9c", [SiloOptions.PodNamespace] = "trainer",
        [SiloOptions.OrleansServiceId] = "svc", [SiloOptions.OrleansClusterId] = "prod",
    };

    [Fact]
    public void In_a_pod_the_silo_advertises_the_pod_ip_and_takes_its_name_and_ids_from_the_environment()
    {
        var options = Options(new() { ["cluster"] = "redis://redis:6379" }, Pod);

        Assert.Equal(IPAddress.Parse("10.1.2.3"), options.Advertise);
        Assert.Equal("silo-7d9c", options.SiloName);
        Assert.Equal(("svc", "prod"), (options.ServiceId, options.ClusterId));
        Assert.Equal(SiloOptions.DefaultPodHealthPort, options.HealthPort);
        Assert.Equal(TimeSpan.FromSeconds(5), options.DrainDelay);
    }

    [Fact]
    public void Outside_a_pod_there_are_no_probes_and_no_drain_delay()
    {
        var options = Options(new(), []);
        Assert.Equal(IPAddress.Loopback, options.Advertise);
        Assert.Null(options.HealthPort);
        Assert.Equal(TimeSpan.Zero, options.DrainDelay);
        Assert.Null(options.SiloName);
    }

    [Fact]
    public void Options_override_the_pod_environment_and_bad_values_name_the_setting()
    {
        var options = Options(new() { ["cluster"] = "redis://redis:6379", ["advertise"] = "10.9.9.9", ["service-id"] = "other", ["health-port"] = "9000" }, Pod);
        Assert.Equal((IPAddress.Parse("10.9.9.9"), "other", 9000), (options.Advertise, options.ServiceId, options.HealthPort));

        Assert.Equal("POD_IP is set (a Kubernetes pod): give the silo Redis membership with --cluster redis://HOST:PORT (TRAINER_CLUSTER)",
            Assert.Throws<SiloOptionsException>(() => Options(new(), Pod)).Message);
        Assert.Equal("POD_IP 'not-an-ip' is not an IP address",
            Assert.Throws<SiloOptionsException>(() => Options(new() { ["cluster"] = "redis://r:1" }, new(Pod) { [SiloOptions.PodIp] = "not-an-ip" })).Message);
        Assert.Equal("--drain-delay 'soon' is not a number of seconds from 0 to 600",
            Assert.Throws<SiloOptionsException>(() => Options(new() { ["cluster"] = "redis://r:1", ["drain-delay"] = "soon" }, Pod)).Message);
    }

    [Fact]
    public async Task A_busy_health_port_is_one_line_and_exit_2()
    {
        using var busy = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var ports = ChildProcess.FreePorts(2);

        var (code, output) = await ChildProcess.RunSilo(new Dictionary<string, string> { ["TRAINER_HEALTH_PORT"] = $"{port}" }, TimeSpan.FromSeconds(60),
            "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");

        Assert.Equal(2, code);
        Assert.StartsWith($"error: --health-port {port}: cannot listen", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Two_pod_silos_train_a_job_report_ready_and_report_draining_after_sigterm()
    {
        await using var redis = await RedisServer.StartAsync();
        var clusterId = "pod-" + Guid.NewGuid().ToString("N")[..8];
        var ports = ChildProcess.FreePorts(6);
        Dictionary<string, string> PodEnvironment(string name, int silo, int gateway, int health) => new()
        {
            [SiloOptions.PodIp] = "127.0.0.1", [SiloOptions.PodName] = name, [SiloOptions.PodNamespace] = "trainer-test",
            [SiloOptions.OrleansServiceId] = "pod-test", [SiloOptions.OrleansClusterId] = clusterId,
            ["TRAINER_CLUSTER"] = $"redis://{redis.Endpoint}", ["TRAINER_SILO_PORT"] = $"{silo}", ["TRAINER_GATEWAY_PORT"] = $"{gateway}",
            ["TRAINER_HEALTH_PORT"] = $"{health}", ["TRAINER_DRAIN_DELAY"] = "3",
        };
        await using var first = await ChildProcess.StartSilo(PodEnvironment("silo-a", ports[0], ports[1], ports[2]));
        await using var second = await ChildProcess.StartSilo(PodEnvironment("silo-b", ports[3], ports[4], ports[5]));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        async Task<HttpStatusCode> Probe(int port, string path) => (await http.GetAsync($"http://127.0.0.1:{port}{path}")).StatusCode;
        Assert.Equal(HttpStatusCode.OK, await Probe(ports[2], HealthEndpoint.ReadyPath));
        Assert.Equal(HttpStatusCode.OK, await Probe(ports[5], HealthEndpoint.LivePath));

        // a training Job in the same namespace finds the silos through Redis with the ids of its environment
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-pod-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (code, output) = await ChildProcess.RunTrainer(
                new Dictionary<string, string> { [SiloOptions.OrleansServiceId] = "pod-test", [SiloOptions.OrleansClusterId] = clusterId },
                TimeSpan.FromMinutes(3), "train", "--cluster", $"redis://{redis.Endpoint}", "--hidden", "32", "--epochs", "2", "--out", outDir);
            Assert.True(code == 0, $"exit {code}: {output}");
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
            Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32());
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
        }

        // SIGTERM: not ready at once (while still live), then a clean exit after the drain delay
        second.Terminate();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HttpStatusCode ready;
        while ((ready = await Probe(ports[5], HealthEndpoint.ReadyPath)) == HttpStatusCode.OK && DateTime.UtcNow < deadline) await Task.Yield();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Equal(HttpStatusCode.OK, await Probe(ports[5], HealthEndpoint.LivePath));
        Assert.Equal(0, await second.ExitCodeAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("silo stopped", second.Output);
        Assert.Equal(HttpStatusCode.OK, await Probe(ports[2], HealthEndpoint.ReadyPath)); // the other pod stays ready
    }
}
