using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// Mutual TLS, with certificates this test makes: a CA, a certificate it signs for the cluster's
/// processes, and a stranger's certificate from another CA. Two silo processes with TLS form a
/// cluster (silo-to-silo TLS); a trainer with the cluster's certificate trains on it; one without
/// a certificate, and one whose certificate the cluster's CA did not sign, cannot connect.
/// </summary>
public sealed class TlsTests
{
    private static async Task<(int Code, string Errors)> Train(string cluster, string outDir, params string[] tls)
    {
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["train", "--cluster", cluster, "--hidden", "16", "--epochs", "2", "--out", outDir, .. tls], new StringWriter(), errors);
        return (code, errors.ToString());
    }

    [Fact]
    public async Task Only_a_client_with_a_certificate_of_the_clusters_CA_can_run_a_job()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-tls-").FullName;
        try
        {
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            var (_, stranger) = Certificates.Issue("some other CA", "trainer-node");
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            File.WriteAllBytes(Path.Combine(dir, "node.pfx"), node.Export(X509ContentType.Pkcs12, "secret"));
            File.WriteAllText(Path.Combine(dir, "stranger.pem"), stranger.ExportCertificatePem() + "\n" + stranger.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            string[] tls = ["--tls-certificate", Path.Combine(dir, "node.pfx"), "--tls-password", "secret", "--tls-ca", Path.Combine(dir, "ca.pem")];

            var ports = ChildProcess.FreePorts(4);
            await using var primary = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. tls]);
            await using var second = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", .. tls]);
            var cluster = $"localhost:{ports[1]},{ports[3]}";

            var trusted = await Train(cluster, Path.Combine(dir, "trusted"), tls);
            Assert.True(trusted.Code == 0, trusted.Errors);
            using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "trusted", "report.json"))))
                Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32()); // the silos joined each other over TLS

            var plain = await Train(cluster, Path.Combine(dir, "plain"));
            Assert.Equal(4, plain.Code);
            Assert.StartsWith($"error: --cluster {cluster}: cannot connect after", Assert.Single(plain.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

            var strange = await Train(cluster, Path.Combine(dir, "stranger"), "--tls-certificate", Path.Combine(dir, "stranger.pem"), "--tls-ca", Path.Combine(dir, "ca.pem"));
            Assert.Equal(4, strange.Code);
            Assert.StartsWith($"error: --cluster {cluster}: cannot connect after", strange.Errors);
            Assert.False(Directory.Exists(Path.Combine(dir, "plain")) || Directory.Exists(Path.Combine(dir, "stranger")));
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
