using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// What tells about jobs (/metrics, /dashboard) is on a silo's --metrics-port, bound to loopback
/// unless --metrics-address says otherwise, and behind the cluster's mutual TLS when it runs TLS;
/// the health port answers the probes on every address and nothing else. "From elsewhere" is this
/// machine's own address other than loopback.
/// </summary>
public sealed class MetricsPortTests
{
    /// <summary>An IPv4 address of this machine other than loopback: what another machine would connect to.</summary>
    private static IPAddress ExternalAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("this machine has no IPv4 address other than loopback to test from");

    /// <summary>An HTTPS client that trusts servers of <paramref name="caFile"/> and presents <paramref name="certificateFile"/> (PEM with its key), if any.</summary>
    internal static HttpClient HttpsClient(string caFile, string? certificateFile)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, server, _, errors) => server is not null && Hosting.TlsSettings.Trusted(server, ca, errors),
        };
        if (certificateFile is not null) handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(certificateFile));
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    private static async Task<string> Train(int gatewayPort, string job, string outDir, params string[] tls)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(["train", "--cluster", $"localhost:{gatewayPort}", "--hidden", "16", "--epochs", "1", "--job", job, "--out", outDir, .. tls], output, errors);
        Assert.True(code == 0, $"{errors}\n{output}");
        return output.ToString();
    }

    [Fact]
    public async Task From_another_address_the_health_port_answers_probes_and_nothing_about_jobs_and_the_metrics_port_is_not_there()
    {
        var external = ExternalAddress();
        var ports = ChildProcess.FreePorts(4);
        var (health, metrics) = (ports[2], ports[3]);
        var work = Directory.CreateTempSubdirectory("trainer-metrics-port-").FullName;
        try
        {
            await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
                "--health-port", $"{health}", "--metrics-port", $"{metrics}", "--checkpoint-dir", Path.Combine(work, "checkpoints"));
            await Train(ports[1], "secret-job", Path.Combine(work, "out"));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

            // the probes answer on every address
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://{external}:{health}/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://{external}:{health}/ready")).StatusCode);
            // ... and say nothing about jobs
            foreach (var path in new[] { "/metrics", "/dashboard", "/dashboard/jobs.json" })
            {
                using var answer = await http.GetAsync($"http://{external}:{health}{path}");
                var body = await answer.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
                Assert.DoesNotContain("secret-job", body);
                Assert.DoesNotContain("trainer_", body);
            }
            // the metrics port is not on that address at all
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://{external}:{metrics}/metrics"));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);

            // on loopback it tells about the job
            Assert.Contains("trainer_job=\"secret-job\"", await http.GetStringAsync($"http://127.0.0.1:{metrics}/metrics"));
            Assert.Contains("\"job\":\"secret-job\"", await http.GetStringAsync($"http://127.0.0.1:{metrics}/dashboard/jobs.json"));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Fact]
    public async Task With_tls_the_metrics_port_on_every_address_answers_only_a_certificate_of_the_cluster_s_ca()
    {
        var external = ExternalAddress();
        var dir = Directory.CreateTempSubdirectory("trainer-metrics-tls-").FullName;
        try
        {
            var (ca, node) = Certificates.Issue("trainer test CA", "trainer-node");
            var (_, stranger) = Certificates.Issue("some other CA", "trainer-node");
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            var nodePem = Certificates.WritePem(node, Path.Combine(dir, "node.pem"));
            var scraperPem = Certificates.WritePem(Certificates.IssueLeaf(ca, "prometheus"), Path.Combine(dir, "scraper.pem"));
            var strangerPem = Certificates.WritePem(stranger, Path.Combine(dir, "stranger.pem"));
            string[] tls = ["--tls-certificate", nodePem, "--tls-ca", Path.Combine(dir, "ca.pem")];
            var ports = ChildProcess.FreePorts(4);
            var (health, metrics) = (ports[2], ports[3]);
            await using var silo = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
                "--health-port", $"{health}", "--metrics-port", $"{metrics}", "--metrics-address", "0.0.0.0", "--checkpoint-dir", Path.Combine(dir, "checkpoints"), .. tls]);
            Assert.Contains($"metrics and dashboard at https://0.0.0.0:{metrics}/metrics", silo.Output);
            await Train(ports[1], "tls-job", Path.Combine(dir, "out"), tls);
            var url = $"https://{external}:{metrics}";

            // no certificate, or another CA's: the handshake fails, nothing is sent
            foreach (var client in new[] { (string?)null, strangerPem })
            {
                using var http = HttpsClient(Path.Combine(dir, "ca.pem"), client);
                await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"{url}/metrics"));
            }
            // plain HTTP on the TLS port gets no answer about jobs either
            using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            {
                var answer = await Record.ExceptionAsync(async () => Assert.DoesNotContain("tls-job", await plain.GetStringAsync($"http://{external}:{metrics}/metrics")));
                Assert.True(answer is null or HttpRequestException, $"{answer}");
                // the probes stay plain HTTP on the health port, for the kubelet
                Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync($"http://{external}:{health}/live")).StatusCode);
            }

            // a certificate of the cluster's CA, from another address as --metrics-address allows
            using var scraper = HttpsClient(Path.Combine(dir, "ca.pem"), scraperPem);
            Assert.Contains("trainer_job=\"tls-job\"", await scraper.GetStringAsync($"{url}/metrics"));
            Assert.Contains("\"job\":\"tls-job\"", await scraper.GetStringAsync($"{url}/dashboard/jobs.json"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
