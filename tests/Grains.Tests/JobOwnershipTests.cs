using System.Security.Cryptography;
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

    /// <summary>Two silo processes with mutual TLS (checkpoints in files), and the options of three certificates of their CA: alice, bob and an operator.</summary>
    private sealed class TlsCluster : IAsyncDisposable
    {
        private readonly ChildProcess[] _silos;

        private TlsCluster(ChildProcess[] silos, string[] cluster, string[] alice, string[] bob, string[] op) =>
            (_silos, Cluster, Alice, Bob, Operator) = (silos, cluster, alice, bob, op);

        public string[] Cluster { get; }
        public string[] Alice { get; }
        public string[] Bob { get; }
        public string[] Operator { get; }

        public static async Task<TlsCluster> StartAsync(string dir)
        {
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            var caFile = Path.Combine(dir, "ca.pem");
            File.WriteAllText(caFile, ca.ExportCertificatePem());
            var operatorCertificate = Certificates.IssueLeaf(ca, "operator");
            string[] Tls(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string name) =>
                ["--tls-certificate", Certificates.WritePem(certificate, Path.Combine(dir, name + ".pem")), "--tls-ca", caFile];
            var fingerprint = string.Join(':', Convert.ToHexString(SHA256.HashData(operatorCertificate.RawData)).Chunk(2).Select(c => new string(c))); // as openssl prints it

            var ports = ChildProcess.FreePorts(4);
            string[] policy = ["--tls-operators", fingerprint, "--checkpoint-dir", Path.Combine(dir, "checkpoints"), .. Tls(node, "node")];
            var primary = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. policy]);
            var second = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", .. policy]);
            return new TlsCluster([primary, second], ["--cluster", $"localhost:{ports[1]},{ports[3]}"],
                Tls(Certificates.IssueLeaf(ca, "alice"), "alice"), Tls(Certificates.IssueLeaf(ca, "bob"), "bob"), Tls(operatorCertificate, "operator"));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var silo in _silos) await silo.DisposeAsync();
        }
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

    [Fact]
    public void Without_TLS_a_cluster_off_loopback_is_said_to_be_open_and_one_on_loopback_is_not()
    {
        var spec = Hosting.ClusterSpec.Parse("redis://redis:6379");
        Assert.Null(Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback]));
        Assert.Equal("warning: --cluster redis://redis:6379 runs without TLS and is not on loopback: anyone on its network can run, inspect and cancel jobs on it (docs/deploy.md, mutual TLS)",
            Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.Parse("10.0.0.7")]));
    }
}
