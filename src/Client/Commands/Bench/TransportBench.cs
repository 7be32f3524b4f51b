using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains.Bench;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands.Bench;

/// <summary>
/// <c>trainer bench transport</c>: a weight pull plus a gradient push between two silos, timed
/// on the first silo the way the parameter server talks to a remote worker. Between two silo
/// processes: start them with <c>deploy/local-cluster.sh start 2</c> and pass <c>--cluster localhost:30000,30001</c>.
/// </summary>
public static class TransportBench
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--cluster", "embedded:2 (default: two silos in this process) | localhost:PORT,PORT | redis://HOST:PORT", "SPEC"),
        new("--floats", "vector length (default 203530, the Fashion-MNIST MLP 784-256-10)", "N"),
        new("--rounds", "timed round trips (default 200)", "N"),
        new("--warmup", "untimed round trips first, for the JIT to settle on both silos (default 300)", "N"),
        new("--json", "also write the JSON to this file (default: print it only)", "FILE"),
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var cluster = ClusterSpec.Parse(args.String("--cluster", "embedded:2"));
        if (cluster.IsLocal) throw new UserInputException("--cluster local is the single-process trainer; the transport benchmark needs two silos");
        var floats = args.Int("--floats", 203_530, min: 1, max: 64_000_000);
        var rounds = args.Int("--rounds", 200, min: 1, max: 1_000_000);
        var warmup = args.Int("--warmup", 300, min: 0, max: 1_000_000);

        await using var connection = await ClusterConnection.ConnectAsync(cluster, cancellation: cancellation);
        var silos = await connection.CountSilosAsync();
        if (silos < 2) throw new UserInputException($"--cluster {cluster}: {silos} silo is active; the transport benchmark needs two");
        var times = await TransportProbe.MeasureAsync(connection.Grains, floats, rounds, warmup, TimeSpan.FromSeconds(30), cancellation);

        var megabytes = floats * 4.0 / 1e6;
        output.WriteLine($"bench transport: {floats:N0} floats ({megabytes:F2} MB) each way, {rounds} round trips after {warmup} warm-up, {times.From} -> {times.To}, cluster {cluster}");
        output.WriteLine($"{"",-14}{"median ms",12}{"p10 ms",10}{"p90 ms",10}{"MB/s",10}");
        var rows = new List<object>();
        var roundTrips = times.PullMs.Zip(times.PushMs, (pull, push) => pull + push).ToArray();
        foreach (var (name, values, bytes) in new[] { ("pull", times.PullMs, megabytes), ("push", times.PushMs, megabytes), ("pull + push", roundTrips, 2 * megabytes) })
        {
            var sorted = values.Order().ToArray();
            var median = BenchCommand.Percentile(sorted, 0.5);
            var throughput = bytes / (median / 1000);
            output.WriteLine($"{name,-14}{median,12:F3}{BenchCommand.Percentile(sorted, 0.1),10:F3}{BenchCommand.Percentile(sorted, 0.9),10:F3}{throughput,10:N0}");
            rows.Add(new { what = name, medianMs = Math.Round(median, 4), p10Ms = Math.Round(BenchCommand.Percentile(sorted, 0.1), 4),
                p90Ms = Math.Round(BenchCommand.Percentile(sorted, 0.9), 4), megabytesPerSecond = Math.Round(throughput) });
        }
        var json = JsonSerializer.Serialize(new { benchmark = "transport", cluster = cluster.ToString(), floats, rounds, from = times.From, to = times.To, results = rows });
        return BenchCommand.Finish(json, args, output);
    }
}
