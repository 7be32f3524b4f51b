using System.Text.Json;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>Silos as real processes (src/Silo), and the trainer as a client of them.</summary>
public sealed class SiloProcessTests
{
    private static async Task<string> TrainThroughCli(string cluster, string outDir)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["train", "--cluster", cluster, "--hidden", "32", "--epochs", "3", "--out", outDir], output, errors);
        Assert.True(code == 0, $"exit {code}: {errors}");
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
        Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32());
        Assert.Equal(2, report.RootElement.GetProperty("workers").GetInt32());
        return report.RootElement.GetProperty("weightsSha256").GetString()!;
    }

    private static string ReferenceHash() => Training.Reference(new DataSpec("digits"), new TrainOptions { Hidden = [32], Epochs = 3 }).WeightsSha256;

    [Fact]
    public async Task Two_silo_processes_with_localhost_clustering_train_to_the_reference_hash()
    {
        var ports = ChildProcess.FreePorts(4);
        await using var primary = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var second = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}");
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-processes-" + Guid.NewGuid().ToString("N")[..8]);

        var hash = await TrainThroughCli($"localhost:{ports[1]},{ports[3]}", outDir);

        Assert.Equal(ReferenceHash(), hash);
        Directory.Delete(outDir, true);
    }

    [Fact]
    public async Task Two_silo_processes_with_redis_membership_train_to_the_reference_hash()
    {
        const string redisServer = "/usr/bin/redis-server";
        Assert.True(File.Exists(redisServer), "redis-server is not installed: 'apt-get install redis-server' (.ci/run does)");
        var ports = ChildProcess.FreePorts(5);
        await using var redis = await ChildProcess.StartAsync(redisServer,
            ["--port", $"{ports[4]}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "Ready to accept connections", TimeSpan.FromSeconds(30));
        var cluster = $"redis://127.0.0.1:{ports[4]}";
        await using var first = await ChildProcess.StartSilo("--cluster", cluster, "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var second = await ChildProcess.StartSilo("--cluster", cluster, "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}");
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-redis-" + Guid.NewGuid().ToString("N")[..8]);

        var hash = await TrainThroughCli(cluster, outDir);

        Assert.Equal(ReferenceHash(), hash);
        Directory.Delete(outDir, true);
    }

    [Fact]
    public async Task A_cluster_that_cannot_be_reached_exits_4_with_one_line()
    {
        var port = ChildProcess.FreePorts(1)[0];
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["train", "--cluster", $"localhost:{port}"], new StringWriter(), errors);
        Assert.Equal(4, code);
        Assert.StartsWith($"error: --cluster localhost:{port}: cannot connect after", Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
