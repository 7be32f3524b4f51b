using System.Text.Json;
using Trainer.Grains.Tests.Support;
using static Trainer.Grains.Tests.Support.ProcessJobs;

namespace Trainer.Grains.Tests;

/// <summary>
/// Crashes of real processes: a silo process killed with SIGKILL mid-training, the whole cluster
/// stopped and restarted, the trainer process killed. Each job ends with the fault-free weights.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ProcessFaultTests
{
    private static readonly string[] Job = ["--data", "fashion-mnist", "--model", "softmax", "--epochs", "3", "--batch", "64",
        "--lr", "0.05", "--momentum", "0.9", "--val-fraction", "0.05", "--checkpoint-every", "100"];

    private static async Task<string> Train(string outDir, params string[] args)
    {
        var output = new LineWatcher();
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["train", .. Job, .. args, "--out", outDir], output, errors);
        Assert.True(code == 0, $"exit {code}: {errors}\n{output}");
        return HashOf(outDir);
    }

    private static async Task<ChildProcess[]> StartSilos(string cluster, int count)
    {
        var silos = new List<ChildProcess>();
        foreach (var _ in Enumerable.Range(0, count)) silos.Add(await StartSilo(cluster));
        return [.. silos];
    }

    [Fact]
    public async Task A_silo_process_killed_mid_training_and_then_the_whole_cluster_restarted_both_end_with_the_fault_free_hash()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-crash-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = await StartSilos(cluster, 3);
        try
        {
            var faultFree = await Train(Path.Combine(work, "fault-free"), "--cluster", cluster);

            // 1. SIGKILL one silo process while epoch 2 runs.
            var output = new LineWatcher();
            var errors = new StringWriter();
            var run = Client.Cli.RunAsync(["train", .. Job, "--cluster", cluster, "--out", Path.Combine(work, "killed")], output, errors);
            await UntilSeen(output, "epoch 1/3", run, errors);
            await silos[1].KillAsync();
            Assert.True(await run == 0, $"{errors}\n{output}");
            Assert.Equal(faultFree, HashOf(Path.Combine(work, "killed")));

            // 2. The trainer and every silo die mid-job; the cluster is restarted; resume finishes the job.
            await using var trainer = await ChildProcess.StartTrainerAndKillAt("epoch 1/3", ["train", .. Job, "--cluster", cluster, "--job", "restarted", "--out", Path.Combine(work, "lost")]);
            await trainer.KillAsync();
            foreach (var silo in silos) await silo.KillAsync();
            silos = await StartSilos(cluster, 3);
            var resumed = new StringWriter();
            var code = await Client.Cli.RunAsync(["resume", "--job", "restarted", "--cluster", cluster, "--out", Path.Combine(work, "resumed")], resumed, errors);
            Assert.True(code == 0, $"exit {code}: {errors}\n{resumed}");
            Assert.Contains("job restarted resumed at epoch", resumed.ToString());
            Assert.Equal(faultFree, HashOf(Path.Combine(work, "resumed")));
            Assert.False(File.Exists(Path.Combine(work, "lost", "report.json")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("async")]
    public async Task A_stalled_worker_silo_is_bypassed_by_the_step_timeout(string mode)
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-stall-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = Enumerable.Range(0, 3).Select(_ => ChildProcess.FreePorts(2)).OrderBy(p => $"S127.0.0.1:{p[0]}:", StringComparer.Ordinal).ToArray();
        var silos = new List<ChildProcess>();
        try
        {
            foreach (var p in ports) silos.Add(await ChildProcess.StartSilo("--cluster", cluster, "--silo-port", $"{p[0]}", "--gateway-port", $"{p[1]}"));
            string[] args = ["--cluster", cluster, "--mode", mode, "--workers", "3", "--step-timeout", "3"];
            var faultFree = mode == "sync" ? await Train(Path.Combine(work, "fault-free"), args) : null;

            // The silos in address order host the server and worker 0, worker 1, worker 2: freeze the last.
            var output = new LineWatcher();
            var errors = new StringWriter();
            var run = Client.Cli.RunAsync(["train", .. Job, .. args, "--out", Path.Combine(work, "stalled")], output, errors);
            await UntilSeen(output, "epoch 1/3", run, errors);
            silos[2].Signal(stop: true);
            Assert.True(await run.WaitAsync(TimeSpan.FromMinutes(5)) == 0, $"{errors}\n{output}");

            if (faultFree is not null) Assert.Equal(faultFree, HashOf(Path.Combine(work, "stalled")));
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(work, "stalled", "report.json")));
            Assert.True(report.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() > 0.8);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync(); // SIGKILL ends a stopped process too
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task Killing_the_trainer_process_and_resuming_gives_the_fault_free_hash()
    {
        var work = Path.Combine(Path.GetTempPath(), "trainer-resume-" + Guid.NewGuid().ToString("N")[..8]);
        var checkpoints = Path.Combine(work, "checkpoints");
        try
        {
            var faultFree = await Train(Path.Combine(work, "fault-free"), "--checkpoint-dir", checkpoints);

            // killed the moment its first epoch is reported, on the thread that reads the line: two epochs are left
            await using (var trainer = await ChildProcess.StartTrainerAndKillAt("epoch 1/3",
                ["train", .. Job, "--job", "interrupted", "--checkpoint-dir", checkpoints, "--out", Path.Combine(work, "lost")]))
            {
                await trainer.KillAsync();
                Assert.DoesNotContain("epoch 3/3", trainer.Output);
            }
            Assert.NotEmpty(Directory.GetFiles(checkpoints, "job.checkpoint", SearchOption.AllDirectories));

            var output = new StringWriter();
            var errors = new StringWriter();
            var code = await Client.Cli.RunAsync(["resume", "--job", "interrupted", "--checkpoint-dir", checkpoints, "--out", Path.Combine(work, "resumed")], output, errors);
            Assert.True(code == 0, $"exit {code}: {errors}\n{output}");
            Assert.Equal(faultFree, HashOf(Path.Combine(work, "resumed")));
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(work, "resumed", "report.json")));
            Assert.True(report.RootElement.GetProperty("resumed").GetBoolean());
            Assert.Equal(3, report.RootElement.GetProperty("epochs").GetArrayLength());
            Assert.Empty(Directory.GetFiles(checkpoints, "*.checkpoint", SearchOption.AllDirectories)); // a finished job leaves none
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task An_exploding_learning_rate_exits_3_within_one_step_and_keeps_the_last_good_checkpoint()
    {
        var checkpoints = Path.Combine(Path.GetTempPath(), "trainer-diverge-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var output = new StringWriter();
            var errors = new StringWriter();
            var code = await Client.Cli.RunAsync(["train", "--data", "fashion-mnist", "--model", "mlp", "--lr", "1000", "--batch", "256",
                "--checkpoint-dir", checkpoints, "--job", "exploding", "--out", Path.Combine(checkpoints, "out")], output, errors);
            Assert.Equal(3, code);
            var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches(@"^error: training diverged at step [12] \(epoch 1, learning rate 1000\)", line);
            Assert.NotEmpty(Directory.GetFiles(checkpoints, "job.checkpoint", SearchOption.AllDirectories));
            Assert.False(Directory.Exists(Path.Combine(checkpoints, "out")));
        }
        finally
        {
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, true);
        }
    }
}
