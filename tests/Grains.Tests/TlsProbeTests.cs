using System.Net;
using System.Net.Sockets;

namespace Trainer.Grains.Tests;

/// <summary>
/// The handshake probe against gateways that are not a refusing TLS server: one that accepts and then
/// never answers (a frozen silo), one that accepts and closes, one that answers in plain bytes. Only the
/// last is evidence; the others are an outage, which the trainer retries and reports as exit 4.
/// </summary>
public sealed class TlsProbeTests
{
    /// <summary>A loopback listener that does <paramref name="serve"/> with each connection it accepts, until disposed.</summary>
    private sealed class FakeGateway : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _held = [];
        private readonly Task _accepting;

        public FakeGateway(Func<TcpClient, Task> serve)
        {
            _listener.Start();
            _accepting = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_held) _held.Add(client);
                    _ = serve(client);
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            try { await _accepting; } catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
            lock (_held) foreach (var client in _held) client.Dispose();
        }
    }

    private static readonly Func<TcpClient, Task> Stall = _ => Task.CompletedTask; // holds the connection open, says nothing
    private static readonly Func<TcpClient, Task> Close = client => { client.Client.Close(); return Task.CompletedTask; };

    private static Hosting.TlsSettings ClientTls(string dir)
    {
        var (ca, client) = Certificates.Issue("trainer test CA", "alice");
        File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
        return new Hosting.TlsSettings(Certificates.WritePem(client, Path.Combine(dir, "alice.pem")), null, null, Path.Combine(dir, "ca.pem"));
    }

    [Fact]
    public async Task A_gateway_that_stalls_or_closes_is_no_diagnosis_and_one_that_answers_in_plain_bytes_is()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-tls-probe-").FullName;
        try
        {
            var tls = ClientTls(dir);
            await using (var stalled = new FakeGateway(Stall))
                Assert.Null(await Hosting.TlsHandshakeProbe.DiagnoseAsync("127.0.0.1", stalled.Port, tls, CancellationToken.None));
            await using (var closing = new FakeGateway(Close))
                Assert.Null(await Hosting.TlsHandshakeProbe.DiagnoseAsync("127.0.0.1", closing.Port, tls, CancellationToken.None));
            await using (var plain = new FakeGateway(async client =>
                         {
                             await client.GetStream().WriteAsync("HTTP/1.0 400 Bad Request\r\n\r\n"u8.ToArray());
                             client.Client.Close();
                         }))
                Assert.Equal("the gateway does not answer in TLS: does the cluster run without it? (then give no --tls-* options)",
                    await Hosting.TlsHandshakeProbe.DiagnoseAsync("127.0.0.1", plain.Port, tls, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A trainer whose gateway accepts and closes every connection gets its normal connect failure (retries, exit 4), not a TLS verdict.</summary>
    [Fact]
    public async Task A_trainer_whose_gateway_closes_every_connection_retries_and_exits_4_without_a_TLS_verdict()
    {
        var dir = Directory.CreateTempSubdirectory("trainer-tls-probe-").FullName;
        try
        {
            var tls = ClientTls(dir);
            await using var closing = new FakeGateway(Close);
            var (output, errors) = (new StringWriter(), new StringWriter());
            var code = await Client.Cli.RunAsync(["train", "--cluster", $"localhost:{closing.Port}", "--hidden", "16", "--epochs", "1", "--out", Path.Combine(dir, "out"),
                "--tls-certificate", tls.CertificateFile!, "--tls-ca", tls.CaFile!], output, errors);
            Assert.True(code == 4, $"exit {code}: {errors}");
            Assert.StartsWith($"error: --cluster localhost:{closing.Port}: cannot connect after", errors.ToString());
            Assert.DoesNotContain("TLS handshake", errors.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
