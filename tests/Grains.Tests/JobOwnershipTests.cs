using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// On a mutual-TLS cluster of two silo processes a job is its starter's certificate's: a second
/// certificate of the same CA can neither cancel nor resume it (one line, exit 2); an operator's
/// certificate (the silos' --tls-operators) can do both, and the owner can cancel the resumed job.
/// </summary>
public sealed class JobOwnershipTests
{
    private static readonly string[] Job = ["--data", "digits", "--hidden", "16", "--batch", "16", "--epochs", "100", "--val-fraction", "0", "--job", "owned"];

    private static async Task<(int Code, string Output, string Errors)> Run(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    /// <summary>A command that keeps running (a job followed to its end) and the moment its output shows <paramref name="text"/>.</summary>
    private static async Task<(Task<int> Run, LineWatcher Output, StringWriter Errors)> StartUntil(string text, params string[] args)
    {
        var (output, errors) = (new LineWatcher(), new StringWriter());
        var run = Client.Cli.RunAsync(args, output, errors);
        var seen = output.Seen(text);
        await Task.WhenAny(seen, run).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(seen.IsCompleted, $"ended before '{text}': {errors}\n{output}");
        return (run, output, errors);
    }

    /// <summary>The words of the 'trainer resume …' line in a printed message, after 'trainer' (its paths have no spaces here).</summary>
    private static string[] PrintedResume(string printed)
    {
        var line = System.Text.RegularExpressions.Regex.Match(printed, "'trainer (resume [^']*)'");
        Assert.True(line.Success, $"no resume line in: {printed}");
        return line.Groups[1].Value.Split(' ');
    }

    private static void RefusedInOneLine((int Code, string Output, string Errors) outcome, string action)
    {
        Assert.Equal(2, outcome.Code);
        var line = Assert.Single(outcome.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --job owned: the job belongs to another certificate (SHA-256 ", line);
        Assert.EndsWith($"only the certificate that started it, or one the silos name in --tls-operators, may {action} it", line);
    }

    [Fact]
    public async Task Another_certificate_cannot_cancel_or_resume_a_job_and_an_operator_can()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-owners-").FullName;
        try
        {
            await using var tls = await TlsCluster.StartAsync(dir);
            var (cluster, alice, bob, op) = (tls.Cluster, tls.Alice, tls.Bob, tls.Operator);

            var started = await StartUntil("epoch 1/100", ["train", .. cluster, .. Job, "--out", Path.Combine(dir, "alice"), .. alice]);
            RefusedInOneLine(await Run(["cancel", .. cluster, "--job", "owned", .. bob]), "cancel");
            var cancelled = await Run(["cancel", .. cluster, "--job", "owned", .. op]);
            Assert.True(cancelled.Code == 0, cancelled.Errors);
            Assert.Equal(130, await started.Run);

            RefusedInOneLine(await Run(["resume", .. cluster, "--job", "owned", "--out", Path.Combine(dir, "bob"), .. bob]), "resume");
            Assert.False(Directory.Exists(Path.Combine(dir, "bob")));
            // each resume line names the TLS files of the command that printed it: the operator's cancel, alice's cancelled trainer
            Assert.Equal(["resume", "--job", "owned", .. cluster, .. alice], PrintedResume(started.Errors.ToString()));
            var printed = PrintedResume(cancelled.Output);
            Assert.Equal(["resume", "--job", "owned", .. cluster, .. op], printed);
            var resumed = await StartUntil("resumed at epoch", printed); // the operator's line as printed
            var ownerCancels = await Run(["cancel", .. cluster, "--job", "owned", .. alice]);
            Assert.True(ownerCancels.Code == 0, ownerCancels.Errors);
            Assert.Equal(130, await resumed.Run);
            Assert.DoesNotContain("warning: --cluster", started.Output.ToString()); // TLS: no open-cluster warning
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Refusals change nothing: while alice's job trains, bob's resume and cancel are refused; the job
    /// goes on writing checkpoints, so alice's own resume later continues from the epochs it had done
    /// (a refused resume used to load the stored checkpoint into the running job's state, and every
    /// later checkpoint was that stale copy: the next resume trained from scratch).
    /// </summary>
    [Fact]
    public async Task Refused_actions_on_a_running_job_touch_nothing_and_its_owner_resumes_where_it_stood()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-refused-").FullName;
        try
        {
            await using var tls = await TlsCluster.StartAsync(dir);
            var (cluster, alice, bob) = (tls.Cluster, tls.Alice, tls.Bob);
            string[] job = ["--data", "digits", "--hidden", "16", "--batch", "16", "--epochs", "100000", "--patience", "0", "--job", "owned"];
            static int LastEpoch(LineWatcher output) =>
                System.Text.RegularExpressions.Regex.Matches(output.ToString(), @"^epoch (\d+)/", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).LastOrDefault();

            var training = await StartUntil("epoch 1/100000", ["train", .. cluster, .. job, "--out", Path.Combine(dir, "alice"), .. alice]);
            RefusedInOneLine(await Run(["resume", .. cluster, "--job", "owned", "--out", Path.Combine(dir, "bob"), .. bob]), "resume");
            RefusedInOneLine(await Run(["cancel", .. cluster, "--job", "owned", .. bob]), "cancel");
            // bob's train with alice's --job learns only that the name is taken, not her job's progress; alice learns where it stands
            var bobsTrain = await Run(["train", .. cluster, .. job, "--out", Path.Combine(dir, "bob-train"), .. bob]);
            Assert.Equal(2, bobsTrain.Code);
            Assert.Equal("error: --job owned is taken; choose another --job", Assert.Single(bobsTrain.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
            var alicesTrain = await Run(["train", .. cluster, .. job, "--out", Path.Combine(dir, "alice-again"), .. alice]);
            Assert.Equal(2, alicesTrain.Code);
            Assert.StartsWith("error: --job owned: this job already has a checkpoint (epoch ", alicesTrain.Errors);
            var afterRefusals = LastEpoch(training.Output); // the store held at most this many epochs when the refused calls came
            await training.Output.Seen($"epoch {afterRefusals + 3}/100000").WaitAsync(TimeSpan.FromMinutes(2)); // so epoch afterRefusals + 2 is checkpointed
            var cancelled = await Run(["cancel", .. cluster, "--job", "owned", .. alice]);
            Assert.True(cancelled.Code == 0, cancelled.Errors);
            Assert.Equal(130, await training.Run);

            var resumed = await StartUntil("resumed at epoch", ["resume", .. cluster, "--job", "owned", "--out", Path.Combine(dir, "again"), .. alice]);
            var line = resumed.Output.ToString().Split('\n').First(l => l.Contains("resumed at epoch"));
            var complete = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"\((\d+) epochs complete\)").Groups[1].Value);
            Assert.True(complete >= afterRefusals + 2, $"the owner's resume after the refusals (at epoch {afterRefusals}): {line}\n{training.Output}");
            var ownerCancels = await Run(["cancel", .. cluster, "--job", "owned", .. alice]);
            Assert.True(ownerCancels.Code == 0, ownerCancels.Errors);
            Assert.Equal(130, await resumed.Run);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// 'trainer status' under mutual TLS: alice's running job is alice's and the operator's to see; bob,
    /// another certificate of the CA, learns only that one job runs (no name, data, losses or progress).
    /// </summary>
    [Fact]
    public async Task Status_shows_a_job_to_its_owner_and_the_operator_and_only_counts_to_another_certificate()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-status-owners-").FullName;
        try
        {
            await using var tls = await TlsCluster.StartAsync(dir);
            var (cluster, alice, bob, op) = (tls.Cluster, tls.Alice, tls.Bob, tls.Operator);
            string[] endless = ["--data", "digits", "--hidden", "16", "--batch", "16", "--epochs", "100000", "--patience", "0", "--job", "owned"]; // still running at every assertion
            var training = await StartUntil("epoch 1/100000", ["train", .. cluster, .. endless, "--out", Path.Combine(dir, "alice"), .. alice]);

            var othersTable = await Run(["status", .. cluster, .. bob]); // bob: not the job's name, model or progress, only that one runs
            Assert.True(othersTable.Code == 0, othersTable.Errors);
            Assert.DoesNotContain("owned", othersTable.Output);
            Assert.DoesNotContain("mlp", othersTable.Output);
            Assert.StartsWith($"1 running job and 0 ended jobs of other certificates on {cluster[1]} (only their owners and the operators see them)", othersTable.Output);

            var other = await Run(["status", .. cluster, "--json", .. bob]);
            Assert.True(other.Code == 0, other.Errors);
            using (var view = System.Text.Json.JsonDocument.Parse(other.Output))
            {
                Assert.Empty(view.RootElement.GetProperty("jobs").EnumerateArray());
                Assert.Equal(1, view.RootElement.GetProperty("otherCertificates").GetProperty("running").GetInt32());
            }
            Assert.DoesNotContain("owned", other.Output);

            foreach (var seer in new[] { alice, op })
            {
                var json = await Run(["status", .. cluster, "--json", .. seer]);
                Assert.True(json.Code == 0, json.Errors);
                using var view = System.Text.Json.JsonDocument.Parse(json.Output);
                var job = Assert.Single(view.RootElement.GetProperty("jobs").EnumerateArray());
                Assert.Equal("owned", job.GetProperty("job").GetString());
                Assert.Equal("running", job.GetProperty("state").GetString());
                Assert.Equal(0, view.RootElement.GetProperty("otherCertificates").GetProperty("running").GetInt32());
                var table = await Run(["status", .. cluster, .. seer]);
                Assert.Contains("owned", table.Output);
                Assert.Contains("mlp 64-16-10 relu", table.Output);
            }

            var cancelled = await Run(["cancel", .. cluster, "--job", "owned", .. alice]);
            Assert.True(cancelled.Code == 0, cancelled.Errors);
            Assert.Equal(130, await training.Run);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Without_TLS_a_cluster_off_loopback_is_said_to_be_open_and_one_on_loopback_is_not()
    {
        var spec = Hosting.ClusterSpec.Parse("redis://redis:6379");
        Assert.Null(Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback]));
        Assert.Equal("warning: --cluster redis://redis:6379 runs without TLS and is not on loopback: anyone on its network can run, inspect and cancel jobs on it (docs/deploy.md, mutual TLS)",
            Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.Parse("10.0.0.7")]));
    }
}
