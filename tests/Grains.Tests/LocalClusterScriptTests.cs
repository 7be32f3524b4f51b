using System.Diagnostics;
using System.Text.Json;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>deploy/local-cluster.sh as a user runs it: start two silos, train against them, stop.</summary>
public sealed class LocalClusterScriptTests
{
    private static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../deploy/local-cluster.sh"));

    private static async Task<(int Code, string Output)> Run(string state, int[] ports, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["TRAINER_CLUSTER_DIR"] = state;
        start.Environment["SILO_PORT_BASE"] = $"{ports[0]}";
        start.Environment["GATEWAY_PORT_BASE"] = $"{ports[1]}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task Start_prints_the_trainer_command_that_then_trains_on_the_silos_and_stop_ends_them()
    {
        var state = Path.Combine(Path.GetTempPath(), "trainer-script-" + Guid.NewGuid().ToString("N")[..8]);
        // two consecutive free ports for the silos, two for the gateways
        var ports = new[] { 41000 + Random.Shared.Next(0, 2000) * 2, 45000 + Random.Shared.Next(0, 2000) * 2 };
        try
        {
            var (code, output) = await Run(state, ports, "start", "2");
            Assert.True(code == 0, output);
            var cluster = $"localhost:{ports[1]},{ports[1] + 1}";
            Assert.Contains($"dotnet run --project src/Client -c Release -- train --cluster {cluster}", output);

            var (statusCode, status) = await Run(state, ports, "status");
            Assert.Equal(0, statusCode);
            Assert.Equal(2, status.Split('\n').Count(l => l.Contains(": running")));

            var outDir = Path.Combine(state, "run");
            var errors = new StringWriter();
            Assert.Equal(0, await Client.Cli.RunAsync(["train", "--cluster", cluster, "--epochs", "2", "--hidden", "16", "--out", outDir], new StringWriter(), errors));
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
            Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32());
        }
        finally
        {
            var (code, output) = await Run(state, ports, "stop");
            Assert.True(code == 0, output);
            Assert.Empty(Directory.GetFiles(state, "*.pid"));
            foreach (var log in Directory.GetFiles(state, "silo-*.log"))
                Assert.Contains("silo stopped", File.ReadAllText(log)); // left the cluster on SIGTERM, not killed
            Directory.Delete(state, true);
        }
    }
}
