namespace Trainer.Grains.Tests.Support;

/// <summary>
/// Two silo processes with mutual TLS (checkpoints in files), with the certificates of
/// deploy/make-certs.sh: the silos' node.pem, operator.pem as the operator (--tls-operators
/// DIR/operators), and two client certificates added to its CA, alice and bob.
/// </summary>
internal sealed class TlsCluster : IAsyncDisposable
{
    private readonly ChildProcess[] _silos;

    private TlsCluster(ChildProcess[] silos, string[] cluster, string[] alice, string[] bob, string[] op) =>
        (_silos, Cluster, Alice, Bob, Operator) = (silos, cluster, alice, bob, op);

    public string[] Cluster { get; }
    public string[] Alice { get; }
    public string[] Bob { get; }
    public string[] Operator { get; }
    public IReadOnlyList<ChildProcess> Silos => _silos;

    /// <summary>The certificates in <paramref name="dir"/>/certs, the checkpoints in <paramref name="dir"/>/checkpoints.</summary>
    public static async Task<TlsCluster> StartAsync(string dir)
    {
        var certs = Path.Combine(dir, "certs");
        DeployTests.Run("bash", "deploy/make-certs.sh", certs);
        DeployTests.Run("bash", "deploy/make-certs.sh", "add", "alice", certs);
        DeployTests.Run("bash", "deploy/make-certs.sh", "add", "bob", certs);
        string[] Tls(string name) => ["--tls-certificate", Path.Combine(certs, name + ".pem"), "--tls-ca", Path.Combine(certs, "ca.pem")];

        var ports = ChildProcess.FreePorts(4);
        string[] policy = ["--tls-operators", Path.Combine(certs, "operators"), "--checkpoint-dir", Path.Combine(dir, "checkpoints"), .. Tls("node")];
        var primary = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. policy]);
        ChildProcess second;
        try
        {
            second = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", .. policy]);
        }
        catch
        {
            await primary.DisposeAsync(); // no silo outlives a test that could not start the cluster
            throw;
        }
        return new TlsCluster([primary, second], ["--cluster", $"localhost:{ports[1]},{ports[3]}"], Tls("alice"), Tls("bob"), Tls("operator"));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
    }
}
