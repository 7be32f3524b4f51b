using Trainer.Grains.Hosting;
using Trainer.Grains.Tests.Support;
using static Trainer.Grains.Tests.Support.ProcessJobs;

namespace Trainer.Grains.Tests;

/// <summary>
/// Silo processes that come and go under a running sync job, on real Redis membership: silos that
/// join get work, a silo stopped with SIGTERM hands its partitions over without a retried step, a
/// restarted silo gets workers again. Each job ends with the reference trainer's weights.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ElasticClusterTests
{
    // Small batches: an epoch lasts seconds across processes, long enough for silos to come and go in it.
    private static readonly string[] Job = JobOf(epochs: 4);

    private static string[] JobOf(int epochs) => ["--data", "fashion-mnist", "--model", "softmax", "--epochs", $"{epochs}", "--batch", "8",
        "--lr", "0.01", "--val-fraction", "0.05"];
    private static readonly string[] OnCluster = ["--checkpoint-every", "500"];

    private static (int Workers, int Silos, int RetriedCalls)[] Epochs(string outDir) =>
        [.. ReportOf(outDir).GetProperty("epochs").EnumerateArray().Select(e =>
            (e.GetProperty("workers").GetInt32(), e.GetProperty("silos").GetArrayLength(), e.GetProperty("retriedCalls").GetInt32()))];

    [Fact]
    public async Task Two_silos_that_join_once_the_job_runs_get_workers_and_the_hash_is_the_reference()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-join-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new List<ChildProcess> { await StartSilo(cluster) };
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            // the job started on the one silo holds at its first epoch's line until two more have joined
            output.At("epoch 1/4", async () => silos.AddRange(await Task.WhenAll(StartSilo(cluster), StartSilo(cluster))));
            var run = Client.Cli.RunAsync(["train", .. Job, .. OnCluster, "--cluster", cluster, "--out", Path.Combine(work, "joined")], output, errors);
            Assert.True(await run == 0, $"{errors}\n{output}");
            Assert.Contains("1 worker, mode sync", output.ToString());

            var epochs = Epochs(Path.Combine(work, "joined"));
            Assert.True(epochs[^1] is (3, 3, 0), $"the last epoch: {epochs[^1]}\n{output}");
            Assert.Contains("workers follow the cluster: 3 workers on 3 silos", output.ToString());
            Assert.Equal(reference, HashOf(Path.Combine(work, "joined")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task A_silo_stopped_with_SIGTERM_mid_epoch_hands_its_workers_over_without_a_retried_step()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-sigterm-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = ChildProcess.FreePorts(6).Order().ToArray();
        var silos = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            ChildProcess.StartSilo("--cluster", cluster, "--silo-port", $"{ports[2 * i]}", "--gateway-port", $"{ports[2 * i + 1]}")));
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            var run = Client.Cli.RunAsync(["train", .. Job, .. OnCluster, "--cluster", cluster, "--out", Path.Combine(work, "drained")], output, errors);
            await UntilSeen(output, "epoch 1/4 ", run, errors);
            silos[2].Terminate(); // the highest address: the server goes to the first silo in address order, and only workers hand over
            Assert.True(await run == 0, $"{errors}\n{output}");
            Assert.Equal(0, await silos[2].ExitCodeAsync(TimeSpan.FromMinutes(1)));

            var epochs = Epochs(Path.Combine(work, "drained"));
            Assert.True(epochs.All(e => e.RetriedCalls == 0), $"retried calls per epoch: {string.Join(", ", epochs.Select(e => e.RetriedCalls))}\n{output}\n{silos[0].Output}\n{silos[1].Output}");
            Assert.True(epochs[^1] is (2, 2, 0), $"the last epoch: {epochs[^1]}\n{output}");
            Assert.Equal(reference, HashOf(Path.Combine(work, "drained")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task A_silo_killed_and_started_again_gets_workers_again_and_the_hash_is_the_reference()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-restart-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new List<ChildProcess>(await Task.WhenAll(StartSilo(cluster), StartSilo(cluster), StartSilo(cluster)));
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            // the job holds at the line that says it lost the silo until a silo has started again: it cannot end before that one joins
            var restart = new Lazy<Task>(async () => silos.Add(await StartSilo(cluster)));
            output.At("on 2 silos", () => restart.Value);
            output.At("resumed at epoch", () => restart.Value);
            var run = Client.Cli.RunAsync(["train", .. Job, .. OnCluster, "--cluster", cluster, "--out", Path.Combine(work, "restarted")], output, errors);
            await UntilSeen(output, "epoch 1/4 ", run, errors);
            await silos[2].KillAsync();
            await UntilSeen(output, "on 2 silos", run, errors, orText: "resumed at epoch"); // its workers moved to the survivors (or, with the server, resumed there)
            Assert.True(await run == 0, $"{errors}\n{output}");

            var epochs = Epochs(Path.Combine(work, "restarted"));
            Assert.True(epochs[^1] is (3, 3, _), $"the last epoch: {epochs[^1]}\n{output}");
            Assert.Equal(reference, HashOf(Path.Combine(work, "restarted")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task A_silo_playing_an_older_cpu_is_refused_by_a_sync_job_with_its_reason_and_the_hash_stays_the_reference()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-oldcpu-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new List<ChildProcess> { await StartSilo(cluster) };
        try
        {
            string[] job = JobOf(epochs: 8); // epochs after the silo has joined, for its refusal
            var reference = await Reference(job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            var ports = ChildProcess.FreePorts(2);
            // the job started on the one silo holds at its first epoch's line until the other has started:
            // .NET 10 without AVX-512 (its switch; .NET 8's DOTNET_EnableAVX512F is ignored): 256-bit vectors and OpenBLAS's Haswell core
            output.At("epoch 1/8 ", async () => silos.Add(await ChildProcess.StartSilo(new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" },
                "--cluster", cluster, "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}")));
            var run = Client.Cli.RunAsync(["train", .. job, .. OnCluster, "--cluster", cluster, "--out", Path.Combine(work, "mixed")], output, errors);
            await UntilSeen(output, "is refused: its kernel", run, errors);
            Assert.Contains("1 worker, mode sync", output.ToString());
            Assert.True(await run == 0, $"{errors}\n{output}");

            Assert.Matches(@"note: .*silo S\S+ is refused: its kernel \(openblas [^)]*Haswell, avx2\+fma\) differs from the job's \(openblas [^)]*avx512\)", output.ToString());
            Assert.All(Epochs(Path.Combine(work, "mixed")), e => Assert.Equal(1, e.Silos));
            Assert.Equal(reference, HashOf(Path.Combine(work, "mixed")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task The_parameter_servers_silo_killed_is_noticed_through_the_membership_and_the_job_resumes_to_the_reference_hash()
    {
        await using var redis = await RedisServer.StartAsync();
        var cluster = $"redis://{redis.Endpoint}";
        var work = Path.Combine(Path.GetTempPath(), "trainer-server-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new List<ChildProcess> { await StartSilo(cluster) };
        try
        {
            var reference = await Reference(Job, Path.Combine(work, "reference"));
            var output = new LineWatcher();
            var errors = new StringWriter();
            // the server is on the first silo; the job holds at its first epoch's line until two more have joined
            // (killed while the trainer holds, the server would be found gone by the next call's connection, not by
            // the membership: so the kill comes once the job runs again, with three epochs left)
            output.At("epoch 1/4", async () => silos.AddRange(await Task.WhenAll(StartSilo(cluster), StartSilo(cluster))));
            var run = Client.Cli.RunAsync(["train", .. Job, .. OnCluster, "--cluster", cluster, "--out", Path.Combine(work, "resumed")], output, errors);
            await UntilSeen(output, "3 workers on 3 silos", run, errors);
            await silos[0].KillAsync();
            Assert.True(await run == 0, $"{errors}\n{output}");
            Assert.Contains("1 worker, mode sync", output.ToString());

            // the membership's verdict, not a call's response timeout, ended the wait
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(output.ToString(), @"parameter server lost \(the cluster declared its silo S\S+ dead\); resuming from its last checkpoint"),
                output.ToString());
            Assert.Equal(reference, HashOf(Path.Combine(work, "resumed")));
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task A_silo_the_cluster_declared_dead_exits_with_one_line_and_code_5()
    {
        // localhost clustering: the test's client talks through the survivor's gateway only, so a paused silo cannot hold its calls
        var ports = ChildProcess.FreePorts(4);
        await using var survivor = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var paused = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
            "--primary", $"127.0.0.1:{ports[0]}");
        await using var connection = await ClusterConnection.ConnectAsync(ClusterSpec.Parse($"localhost:{ports[1]}"));
        var management = connection.Grains.GetGrain<IManagementGrain>(0);
        await Eventually.Until(async () => (await management.GetHosts(onlyActive: true)).Count == 2, TimeSpan.FromMinutes(1),
            () => "the second silo did not join within a minute");

        paused.Signal(stop: true); // a long pause: it answers no probe, and the survivor votes it dead
        await Eventually.Until(async () => (await management.GetHosts(onlyActive: false)).Any(h => h.Value == SiloStatus.Dead), TimeSpan.FromMinutes(1),
            () => "the paused silo was not declared dead within a minute");
        paused.Signal(stop: false); // it wakes, reads that it is dead, and must stop

        Assert.Equal(5, await paused.ExitCodeAsync(TimeSpan.FromMinutes(1)));
        var lines = paused.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("error: this silo stops: ", StringComparison.Ordinal) && l.Contains("exit 5"));
        Assert.DoesNotContain("FATAL", paused.Output);
        Assert.DoesNotContain("   at ", paused.Output);
    }
}
