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
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            var caFile = Path.Combine(dir, "ca.pem");
            var operatorCertificate = Certificates.IssueLeaf(ca, "operator");
            string[] Tls(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string name) =>
                ["--tls-certificate", Certificates.WritePem(certificate, Path.Combine(dir, name + ".pem")), "--tls-ca", caFile];
            var (silo, alice, bob, op) = (Tls(node, "node"), Tls(Certificates.IssueLeaf(ca, "alice"), "alice"), Tls(Certificates.IssueLeaf(ca, "bob"), "bob"),
                Tls(operatorCertificate, "operator"));
            var fingerprint = string.Join(':', Convert.ToHexString(SHA256.HashData(operatorCertificate.RawData)).Chunk(2).Select(c => new string(c))); // as openssl prints it

            var ports = ChildProcess.FreePorts(4);
            await using var primary = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
                "--tls-operators", fingerprint, "--checkpoint-dir", Path.Combine(dir, "checkpoints"), .. silo]);
            await using var second = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", "--tls-operators", fingerprint, "--checkpoint-dir", Path.Combine(dir, "checkpoints"), .. silo]);
            string[] cluster = ["--cluster", $"localhost:{ports[1]},{ports[3]}"];

            var started = await StartUntil("epoch 1/100", ["train", .. cluster, .. Job, "--out", Path.Combine(dir, "alice"), .. alice]);
            RefusedInOneLine(await Run(["cancel", .. cluster, "--job", "owned", .. bob]), "cancel");
            var cancelled = await Run(["cancel", .. cluster, "--job", "owned", .. op]);
            Assert.True(cancelled.Code == 0, cancelled.Errors);
            Assert.Equal(130, await started.Run);

            RefusedInOneLine(await Run(["resume", .. cluster, "--job", "owned", "--out", Path.Combine(dir, "bob"), .. bob]), "resume");
            Assert.False(Directory.Exists(Path.Combine(dir, "bob")));
            var resumed = await StartUntil("resumed at epoch", ["resume", .. cluster, "--job", "owned", "--out", Path.Combine(dir, "operator"), .. op]);
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

    [Fact]
    public void Without_TLS_a_cluster_off_loopback_is_said_to_be_open_and_one_on_loopback_is_not()
    {
        var spec = Hosting.ClusterSpec.Parse("redis://redis:6379");
        Assert.Null(Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback]));
        Assert.Equal("warning: --cluster redis://redis:6379 runs without TLS and is not on loopback: anyone on its network can run, inspect and cancel jobs on it (docs/deploy.md, mutual TLS)",
            Hosting.ClusterConnection.OpenWarning(spec, [System.Net.IPAddress.Loopback, System.Net.IPAddress.Parse("10.0.0.7")]));
    }
}
