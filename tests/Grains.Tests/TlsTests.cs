using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// Mutual TLS, with certificates this test makes: a CA, a certificate it signs for the cluster's
/// processes, and a stranger's certificate from another CA. Two silo processes with TLS form a
/// cluster (silo-to-silo TLS); a trainer with the cluster's certificate trains on it; one without
/// a certificate, one whose certificate the cluster's CA did not sign, and one that does not trust
/// the silos' certificate are told at once, in one line, why the handshake failed, and the silos
/// log one line per failed handshake, ten a minute at most.
/// </summary>
public sealed class TlsTests
{
    private static async Task<(int Code, string Output, string Errors)> Train(string cluster, string outDir, params string[] tls)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(["train", "--cluster", cluster, "--hidden", "16", "--epochs", "2", "--out", outDir, .. tls], output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    /// <summary>A refused handshake: exit 2, one line that says why, and no job id (no job was ever started).</summary>
    private static void RefusedHandshake((int Code, string Output, string Errors) outcome, string cluster, string why)
    {
        Assert.True(outcome.Code == 2, $"exit {outcome.Code}: {outcome.Errors}");
        var line = Assert.Single(outcome.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($@"^error: --cluster {System.Text.RegularExpressions.Regex.Escape(cluster)}: the TLS handshake with 127\.0\.0\.1:\d+ failed: ", line);
        Assert.EndsWith(why, line);
        Assert.DoesNotContain("job ", outcome.Output);
    }

    /// <summary>
    /// The silos' log lines about failed handshakes; no record about TLS carries a stack (other records may: on a
    /// loaded machine the membership's ping timeouts are logged with theirs).
    /// </summary>
    private static string[] HandshakeLines(params ChildProcess[] silos)
    {
        var output = string.Concat(silos.Select(s => s.Output));
        Assert.DoesNotContain(output.Split('\n'), l => l.Contains("   at ") && (l.Contains("TLS") || l.Contains("Tls") || l.Contains("Ssl")));
        Assert.DoesNotContain("AuthenticationException", output);
        return output.Split('\n').Where(l => l.Contains("TLS handshake with")).ToArray();
    }

    [Fact]
    public async Task Only_a_client_with_a_certificate_of_the_clusters_CA_can_run_a_job_and_the_others_are_told_why_at_once()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-tls-").FullName;
        try
        {
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            var (otherCa, stranger) = Certificates.Issue("some other CA", "trainer-node");
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, "other-ca.pem"), otherCa.ExportCertificatePem());
            File.WriteAllBytes(Path.Combine(dir, "node.pfx"), node.Export(X509ContentType.Pkcs12, "secret"));
            var strangerPem = Certificates.WritePem(stranger, Path.Combine(dir, "stranger.pem"));
            string[] tls = ["--tls-certificate", Path.Combine(dir, "node.pfx"), "--tls-password", "secret", "--tls-ca", Path.Combine(dir, "ca.pem")];

            var ports = ChildProcess.FreePorts(4);
            await using var primary = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. tls]);
            await using var second = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", .. tls]);
            var cluster = $"localhost:{ports[1]},{ports[3]}";
            Assert.Contains($"mutual TLS (CA {Path.Combine(dir, "ca.pem")}), no operators", primary.Output); // the ready line says how it runs

            var trusted = await Train(cluster, Path.Combine(dir, "trusted"), tls);
            Assert.True(trusted.Code == 0, trusted.Errors);
            using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "trusted", "report.json"))))
                Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32()); // the silos joined each other over TLS

            RefusedHandshake(await Train(cluster, Path.Combine(dir, "plain")), cluster,
                "this trainer has no client certificate, and the cluster takes only mutual TLS (give --tls-certificate FILE and --tls-ca FILE)");
            RefusedHandshake(await Train(cluster, Path.Combine(dir, "stranger"), "--tls-certificate", strangerPem, "--tls-ca", Path.Combine(dir, "ca.pem")), cluster,
                $"the cluster refused this trainer's certificate (--tls-certificate {strangerPem}, trainer-node, issued by some other CA): it is not signed by the cluster's CA");
            RefusedHandshake(await Train(cluster, Path.Combine(dir, "untrusting"), [.. tls[..^1], Path.Combine(dir, "other-ca.pem")]), cluster,
                $"the gateway's certificate (trainer-node, issued by trainer test CA) is not signed by --tls-ca {Path.Combine(dir, "other-ca.pem")}, so this trainer does not trust it");
            Assert.False(Directory.Exists(Path.Combine(dir, "plain")) || Directory.Exists(Path.Combine(dir, "stranger")) || Directory.Exists(Path.Combine(dir, "untrusting")));

            // each refused trainer made a handshake or two (its own and the probe's); the silos say so in one line each
            await Eventually.Until(() => Task.FromResult(HandshakeLines(primary, second).Length >= 3), TimeSpan.FromSeconds(30), () => primary.Output + second.Output);
            var lines = HandshakeLines(primary, second);
            Assert.Contains(lines, l => l.Contains("failed: it sent no certificate, did not speak TLS, or gave up"));
            Assert.Contains(lines, l => l.Contains("failed: its certificate (trainer-node, issued by some other CA, SHA-256 ") && l.EndsWith("is not signed by the cluster's CA"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A stranger who keeps connecting gets the silo's log 10 lines a minute, then one that says the rest are only counted.</summary>
    [Fact]
    public async Task Failed_handshakes_are_logged_one_line_each_at_most_ten_a_minute()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-tls-flood-").FullName;
        try
        {
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            var ports = ChildProcess.FreePorts(2);
            await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
                "--tls-certificate", Certificates.WritePem(node, Path.Combine(dir, "node.pem")), "--tls-ca", Path.Combine(dir, "ca.pem"));
            for (var i = 0; i < 25; i++)
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(System.Net.IPAddress.Loopback, ports[1]);
                await tcp.GetStream().WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
                using var closed = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a silo that never closes fails the test, not hangs it
                _ = await tcp.GetStream().ReadAsync(new byte[16], closed.Token); // the silo closes it
            }
            await Eventually.Until(() => Task.FromResult(silo.Output.Contains("10 failed TLS handshakes within 60 s: further ones are counted, not logged")),
                TimeSpan.FromSeconds(30), () => silo.Output);
            var lines = HandshakeLines(silo);
            Assert.Equal(10, lines.Length);
            Assert.All(lines, l => Assert.Contains("failed: it sent no certificate, did not speak TLS, or gave up", l));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_settings_that_cannot_work_are_one_line_errors()
    {
        var errors = new StringWriter();
        Assert.Equal(2, await Client.Cli.RunAsync(["train", "--tls-certificate", "/nonexistent/node.pfx"], new StringWriter(), errors));
        Assert.Equal("error: --tls-certificate secures connections to silo processes; --cluster embedded:2 has none to secure", errors.ToString().Trim());

        var (code, output) = await ChildProcess.RunSilo(new Dictionary<string, string>(), TimeSpan.FromSeconds(60), "--tls-certificate", "/nonexistent/node.pfx");
        Assert.Equal(2, code);
        Assert.Equal("error: --tls-certificate /nonexistent/node.pfx: no such file", output.Trim());
    }
}

/// <summary>Certificates for tests: a self-signed CA and a certificate it issues for server and client authentication.</summary>
internal static class Certificates
{
    public static (X509Certificate2 Ca, X509Certificate2 Leaf) Issue(string caName, string leafName)
    {
        var now = DateTimeOffset.UtcNow;
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return (ca, IssueLeaf(ca, leafName));
    }

    /// <summary>Another certificate of the same CA (which holds its private key).</summary>
    public static X509Certificate2 IssueLeaf(X509Certificate2 ca, string leafName)
    {
        var now = DateTimeOffset.UtcNow;
        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={leafName}", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(leafName);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        return leafRequest.Create(ca, now.AddDays(-1), now.AddDays(7), RandomNumberGenerator.GetBytes(8)).CopyWithPrivateKey(leafKey);
    }

    /// <summary>A certificate and its key as one PEM file, as --tls-certificate takes it.</summary>
    public static string WritePem(X509Certificate2 certificate, string path)
    {
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
