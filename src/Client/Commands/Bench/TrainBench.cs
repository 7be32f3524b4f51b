using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.Client.Commands.Train;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Bench;

/// <summary>
/// <c>trainer bench train</c>: training throughput per cluster and global batch, through the
/// real <c>trainer train</c> (its report gives samples/s, the step-time split and bytes per step),
/// each as a share of the reference trainer at the same batch; optionally the training time until
/// an epoch's test accuracy first reaches --target.
/// </summary>
public static class TrainBench
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--clusters", "clusters to compare (default local,embedded:2; local is the reference)", "LIST"),
        new("--batches", "global batches (default 256,1024)", "LIST"),
        new("--data", "data set (default fashion-mnist)", "NAME|PATH"),
        new("--model", "model (default mlp)", "KIND") { Choices = ModelSpec.Kinds },
        new("--hidden", "MLP hidden widths (default 256)", "W[,W...]"),
        new("--epochs", "epochs per run (default 2)", "N"),
        new("--lr", "learning rate (default 0.1)", "X"),
        new("--momentum", "momentum (default 0.9)", "M"),
        new("--partitions", "data partitions (default: train's, 8 at most the batch)", "P"),
        new("--workers", "workers on a cluster (default one per silo)", "W"),
        new("--mode", "sync (default) | async | ssp | local-sgd", "MODE") { Choices = JobMode.Kinds },
        new("--kernel", "auto|openblas|managed (default auto)", "NAME") { Choices = KernelChoice.Names },
        new("--target", "also report the training seconds until test accuracy first reaches this, e.g. 0.88 (default: none)", "ACC"),
        new("--json", "also write the JSON to this file (default: print it only)", "FILE"),
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var clusters = args.String("--clusters", "local,embedded:2").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ClusterSpec.Parse).ToArray();
        var batches = args.IntList("--batches", [256, 1024]);
        var target = args.Has("--target") ? args.Double("--target", 0, 0, 1, positive: true) : (double?)null;
        // the options train shares with this benchmark, with its own defaults: the Fashion-MNIST MLP, lr 0.1, momentum 0.9, two epochs
        var shared = TrainArguments.ReadRequest(args.Only(["--data", "--model", "--hidden", "--epochs", "--lr", "--momentum", "--partitions", "--kernel"])
            .WithDefault("--data", "fashion-mnist").WithDefault("--lr", "0.1").WithDefault("--epochs", "2"));
        shared = shared with { Data = shared.Data with { ValFraction = 0 }, Options = shared.Options with { Patience = 0 } };
        string[] common = [$"--data {shared.Data.Data}", $"--model {shared.Options.Model}", $"--epochs {shared.Options.Epochs}", $"--lr {shared.Options.LearningRate}",
            $"--momentum {shared.Options.Momentum}", $"--kernel {shared.Kernel}", .. shared.Options.Model == "mlp" ? [$"--hidden {string.Join(',', shared.Options.Hidden)}"] : Array.Empty<string>()];

        output.WriteLine($"bench train: {string.Join(' ', common)}, {Environment.ProcessorCount} cores");
        output.WriteLine($"{"cluster",-14}{"batch",7}{"samples/s",12}{"vs local",10}{"compute",10}{"comm",8}{"update",8}{"MB/step",9}{"test acc",10}{(target is null ? "" : $"{"s to " + target,12}")}");
        var rows = new List<object>();
        var reference = new Dictionary<int, double>();
        var scratch = Path.Combine(Path.GetTempPath(), "trainer-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (var batch in batches)
            foreach (var cluster in clusters)
            {
                cancellation.ThrowIfCancellationRequested();
                var run = await TrainAsync(cluster, batch, shared, args, Path.Combine(scratch, $"{rows.Count}"), cancellation);
                if (cluster.IsLocal) reference[batch] = run.SamplesPerSecond;
                double? share = !cluster.IsLocal && reference.TryGetValue(batch, out var local) ? run.SamplesPerSecond / local : null;
                var toTarget = target is null ? null : SecondsToAccuracy(run.Epochs, target.Value);
                output.WriteLine($"{cluster,-14}{batch,7}{run.SamplesPerSecond,12:N0}{(share is null ? "" : $"{share:P0}"),10}" +
                                 $"{run.ComputeMs,10:F2}{run.CommunicationMs,8:F2}{run.UpdateMs,8:F2}{run.BytesPerStep / 1e6,9:F2}{run.TestAccuracy,10:F4}" +
                                 (target is null ? "" : $"{(toTarget is { } s ? $"{s:F1}" : "not reached"),12}"));
                rows.Add(new { cluster = cluster.ToString(), batch, samplesPerSecond = Math.Round(run.SamplesPerSecond), shareOfLocal = share is null ? (double?)null : Math.Round(share.Value, 4),
                    stepTimeMs = new { compute = Math.Round(run.ComputeMs, 3), communication = Math.Round(run.CommunicationMs, 3), update = Math.Round(run.UpdateMs, 3) },
                    bytesPerStep = run.BytesPerStep, testAccuracy = run.TestAccuracy, secondsToTarget = toTarget });
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
        var json = JsonSerializer.Serialize(new { benchmark = "train", arguments = common, target, cores = Environment.ProcessorCount, results = rows });
        return BenchCommand.Finish(json, args, output);
    }

    private sealed record RunFigures(double SamplesPerSecond, double ComputeMs, double CommunicationMs, double UpdateMs, long BytesPerStep,
        double? TestAccuracy, JsonElement Epochs);

    private static async Task<RunFigures> TrainAsync(ClusterSpec cluster, int batch, TrainRequest shared, ParsedArguments args, string outDir, CancellationToken cancellation)
    {
        var request = (shared with
        {
            Cluster = cluster,
            Options = shared.Options with { Batch = batch, Partitions = args.Has("--partitions") ? shared.Options.Partitions : Math.Min(new TrainOptions().Partitions, batch) },
            Job = TrainRequest.NewJob(),
            Out = outDir,
            Workers = !cluster.IsLocal && args.Has("--workers") ? args.Int("--workers", 1, min: 1) : null,
            Mode = !cluster.IsLocal && args.String("--mode") is { } mode ? mode : JobMode.Sync,
        }).Validated();
        try
        {
            await TrainRun.RunAsync(request, TextWriter.Null, cancellation);
        }
        catch (UserInputException e)
        {
            throw new UserInputException($"bench train: --cluster {cluster} --batch {batch} failed: {e.Message}");
        }
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
        var root = report.RootElement;
        var step = root.GetProperty("stepTime");
        var test = root.TryGetProperty("test", out var t) && t.TryGetProperty("accuracy", out var a) ? a.GetDouble() : (double?)null;
        return new RunFigures(root.GetProperty("samplesPerSecond").GetDouble(), step.GetProperty("computeMs").GetDouble(), step.GetProperty("communicationMs").GetDouble(),
            step.GetProperty("updateMs").GetDouble(), root.GetProperty("bytesPerStep").GetInt64(), test, root.GetProperty("epochs").Clone());
    }

    /// <summary>Training seconds (summed over epochs) at the end of the first epoch whose test accuracy reaches the target.</summary>
    private static double? SecondsToAccuracy(JsonElement epochs, double target)
    {
        double seconds = 0;
        foreach (var epoch in epochs.EnumerateArray())
        {
            seconds += epoch.GetProperty("trainSeconds").GetDouble();
            if (epoch.TryGetProperty("testAccuracy", out var accuracy) && accuracy.GetDouble() >= target) return seconds;
        }
        return null;
    }
}
