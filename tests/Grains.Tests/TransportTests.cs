using System.Text.Json;
using Trainer.Grains.Bench;
using Trainer.Grains.Hosting;
using Trainer.Grains.Tests.Support;
using Trainer.Grains.Transport.Sockets;

namespace Trainer.Grains.Tests;

/// <summary>The bulk socket transport under Orleans, and the transport benchmark on it.</summary>
public sealed class TransportTests
{
    [Fact]
    public async Task Silos_of_an_embedded_cluster_talk_over_the_bulk_socket_transport()
    {
        var before = BulkSocketTransport.ConnectionsOpened;
        await using var cluster = await EmbeddedCluster.StartAsync(2);
        var times = await TransportProbe.MeasureAsync(cluster.Grains, 203_530, rounds: 3, warmup: 1, TimeSpan.FromSeconds(30));

        Assert.NotEqual(times.From, times.To);
        Assert.Equal(3, times.PullMs.Length);
        Assert.All(times.PullMs.Concat(times.PushMs), ms => Assert.True(ms > 0));
        Assert.True(BulkSocketTransport.ConnectionsOpened >= before + 2, "the silos connected over Orleans's own transport");
    }

    [Fact]
    public async Task Bench_transport_between_two_silo_processes_prints_a_table_and_json()
    {
        var ports = ChildProcess.FreePorts(4);
        await using var primary = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await using var second = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}");
        var before = BulkSocketTransport.ConnectionsOpened;
        var output = new StringWriter();
        var errors = new StringWriter();

        var code = await Client.Cli.RunAsync(["bench", "transport", "--cluster", $"localhost:{ports[1]},{ports[3]}", "--rounds", "5", "--warmup", "1"], output, errors);

        Assert.True(code == 0, $"exit {code}: {errors}");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("pull + push"));
        using var json = JsonDocument.Parse(lines[^1]);
        var roundTrip = json.RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("what").GetString() == "pull + push");
        Assert.True(roundTrip.GetProperty("medianMs").GetDouble() > 0);
        Assert.NotEqual(json.RootElement.GetProperty("from").GetString(), json.RootElement.GetProperty("to").GetString());
        Assert.True(BulkSocketTransport.ConnectionsOpened > before, "the client connected to the gateways over Orleans's own transport");
    }

    [Fact]
    public async Task Bench_transport_on_one_silo_is_a_one_line_error()
    {
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["bench", "transport", "--cluster", "embedded:1", "--rounds", "1"], new StringWriter(), errors);
        Assert.Equal(2, code);
        Assert.Equal("error: --cluster embedded:1: 1 silo is active; the transport benchmark needs two", errors.ToString().Trim());
    }
}
