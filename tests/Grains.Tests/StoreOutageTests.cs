using Trainer.Grains.Tests.Support;
using static Trainer.Grains.Tests.Support.ProcessJobs;

namespace Trainer.Grains.Tests;

/// <summary>
/// A Redis that blinks under a running job (membership and checkpoints both live in it): killed and
/// started again with its append-only file, the job trains on and ends with the fault-free hash; kept
/// down past the silo's patience, the job ends with one line, exit 4 and the resume command, and the
/// resume gives the fault-free hash.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StoreOutageTests
{
    private static readonly string[] Job = ["--data", "fashion-mnist", "--model", "softmax", "--epochs", "6", "--batch", "8",
        "--lr", "0.01", "--val-fraction", "0.05"];

    [Fact]
    public async Task Redis_killed_and_started_again_mid_job_puts_checkpoints_off_and_the_job_ends_with_the_fault_free_hash()
    {
        await using var redis = await RedisServer.StartAsync(durable: true);
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-blink-" + Guid.NewGuid().ToString("N")[..8]);
        await using var silo = await StartSilo(cluster);
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            var run = Client.Cli.RunAsync(["train", .. Job, "--checkpoint-every", "200", "--cluster", cluster, "--out", Path.Combine(work, "blinked")], output, errors);
            await UntilSeen(output, "epoch 1/6 ", run, errors);
            await redis.KillAsync();
            await UntilSeen(output, "checkpoint put off: the store is unreachable", run, errors); // training goes on meanwhile
            await redis.RestartAsync();
            Assert.True(await run == 0, $"{errors}\n{output}");

            Assert.True(ReportOf(Path.Combine(work, "blinked")).GetProperty("epochs").EnumerateArray().Sum(e => e.GetProperty("deferredCheckpoints").GetInt32()) > 0);
            Assert.Equal(reference, HashOf(Path.Combine(work, "blinked")));
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task Redis_kept_down_past_the_patience_ends_the_job_with_one_line_exit_4_and_the_resume_command_which_gives_the_fault_free_hash()
    {
        await using var redis = await RedisServer.StartAsync(durable: true);
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-down-" + Guid.NewGuid().ToString("N")[..8]);
        await using var silo = await StartSilo(cluster, "--store-patience", "2");
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            var run = Client.Cli.RunAsync(["train", .. Job, "--checkpoint-every", "200", "--cluster", cluster, "--job", "kept-down", "--out", Path.Combine(work, "down")],
                output, errors);
            await UntilSeen(output, "epoch 1/6 ", run, errors);
            await redis.KillAsync();
            Assert.Equal(4, await run);

            var error = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches(@"^error: job kept-down: the checkpoint store has been unreachable for \d+ s \(Redis: [^)]+\); training stopped, its last checkpoint is kept; " +
                $"when the store is back, 'trainer resume --job kept-down --cluster {cluster.Replace(".", @"\.")}' continues it$", error);
            Assert.False(File.Exists(Path.Combine(work, "down", "report.json")));

            await redis.RestartAsync();
            var resumed = new StringWriter();
            var code = await Client.Cli.RunAsync(["resume", "--job", "kept-down", "--cluster", cluster, "--out", Path.Combine(work, "resumed")], resumed, errors);
            Assert.True(code == 0, $"exit {code}: {errors}\n{resumed}");
            Assert.Equal(reference, HashOf(Path.Combine(work, "resumed")));
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }
}
