using System.Globalization;
using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.Core;
using Trainer.Core.Optim;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// <c>trainer scale</c>: a sweep over global batch, workers, learning-rate scaling rule, optimiser
/// and warm-up. Every run is a real <c>trainer train</c> with <c>--target</c>, so each records steps,
/// epochs and seconds to the target with everything the train report has. After every run the
/// folder's results.csv, results.json, plots and summary.md are rewritten, so an interrupted
/// sweep leaves a consistent folder, and the same command continues it.
/// </summary>
public static class ScaleCommand
{
    /// <summary>Options passed to every run as they are; their help is train's.</summary>
    private static readonly string[] Shared =
    [
        "--data", "--test", "--label-column", "--delimiter", "--features", "--val-fraction", "--model", "--hidden", "--activation",
        "--lr", "--momentum", "--nesterov", "--weight-decay", "--trust-coefficient", "--base-batch", "--schedule",
        "--seed", "--partitions", "--threads", "--kernel", "--cluster", "--mode", "--staleness", "--telemetry", "--otlp-endpoint", "--tls-certificate", "--tls-store-subject", "--tls-ca",
    ];

    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--batches", "global batches to sweep (default 64,256,1024,4096)", "LIST"),
        new("--workers", "worker counts to sweep on a cluster (default: one per silo; 1 with --cluster local)", "LIST"),
        new("--lr-scaling", "rules to sweep: none, linear, sqrt (default none)", "LIST"),
        new("--optimizer", "optimisers to sweep: sgd, lars (default sgd)", "LIST"),
        new("--warmup-epochs", "warm-up lengths to sweep (default 0)", "LIST"),
        new("--ps-shards", "parameter-server shard counts to sweep on a cluster (default 1)", "LIST"),
        new("--target", "validation accuracy (R² for regression) each run trains to (default 0.85)", "ACC"),
        new("--max-epochs", "epochs a run may take to reach it (default 30)", "N"),
        new("--past-target", "train every run to --max-epochs (steps to target are still noted), so final accuracies compare at one budget"),
        new("--project", "after the sweep, fit the step-time cost model to its cluster runs and project it past this machine (workers and --ps-shards)"),
        new("--out", "sweep folder (default scale/<time-stamp>); the same command with the same folder continues a sweep", "DIR"),
        .. TrainCommand.Options.Where(o => Shared.Contains(o.Name) || o.Name == "--tls-password"),
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var grid = ReadGrid(args);
        // passed to every run but never kept in sweep.json
        string[] secrets = args.String("--tls-password") is { } password ? ["--tls-password", password] : [];
        var folder = args.String("--out") ?? Path.Combine("scale", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        var sweep = ScaleFolder.Open(folder, grid);
        var points = grid.Points;
        var done = points.Count(p => sweep.Results.ContainsKey(p.Key));
        output.WriteLine($"sweep of {points.Count} runs to validation {grid.Target} within {grid.MaxEpochs} epochs: batches {string.Join(',', grid.Batches)}; " +
                         $"workers {string.Join(',', grid.Workers)}; lr scaling {string.Join(',', grid.LrScalings)}; optimizer {string.Join(',', grid.Optimizers)}; " +
                         $"warm-up {string.Join(',', grid.WarmupEpochs)}" + (grid.PsShards is { } shards ? $"; parameter-server shards {string.Join(',', shards)}" : "") + (done > 0 ? $"; {done} already done in {folder}, continuing" : ""));

        var index = 0;
        foreach (var point in points)
        {
            index++;
            if (sweep.Results.ContainsKey(point.Key)) continue;
            cancellation.ThrowIfCancellationRequested();
            output.WriteLine($"[{index}/{points.Count}] {point}");
            var result = await RunOneAsync(grid, point, sweep, secrets, output, cancellation);
            sweep.Add(result);
            output.WriteLine($"[{index}/{points.Count}] {Describe(result, grid.Target)}");
        }

        sweep.WriteOutputs(); // also when every run was done before: outputs of this version
        output.WriteLine($"sweep done: wrote {folder}/results.csv, results.json, summary.md and plots");
        output.Write(ScaleSummary.Knees(grid, sweep.Results.Values.ToList()));
        if (args.Flag("--project")) output.Write(Projection.Describe(grid, sweep.Results.Values.ToList()));
        return ExitCode.Done;
    }

    private static async Task<ScaleResult> RunOneAsync(ScaleGrid grid, ScalePoint point, ScaleFolder sweep, string[] secrets, TextWriter output, CancellationToken cancellation)
    {
        var runFolder = sweep.RunFolder(point);
        string[] train =
        [
            "train", .. grid.TrainArguments, "--batch", $"{point.Batch}", "--epochs", $"{grid.MaxEpochs}",
            "--target", grid.Target.ToString(CultureInfo.InvariantCulture), "--patience", "0",
            "--lr-scaling", point.LrScaling, "--optimizer", point.Optimizer, "--warmup-epochs", point.WarmupEpochs.ToString(CultureInfo.InvariantCulture),
            "--job", $"scale-{sweep.Id}-{point.Key}", "--out", runFolder, .. secrets,
        ];
        if (grid.PastTarget) train = [.. train, "--past-target"];
        if (point.PsShards > 1) train = [.. train, "--ps-shards", $"{point.PsShards}"];
        if (!IsLocal(grid) && point.Workers > 0) train = [.. train, "--workers", $"{point.Workers}"]; // 0: train's default, one per silo
        if (Cluster(grid).Kind == ClusterSpec.Embedded) train = [.. train, "--checkpoint-dir", sweep.CheckpointFolder];
        train = Without(train, point.LrScaling == LearningRateScaling.None ? "--base-batch" : null, point.Optimizer != Optimizer.Lars ? "--trust-coefficient" : null);

        var errors = new StringWriter();
        var code = await Cli.RunAsync(train, output, errors, cancellation);
        var message = errors.ToString().Trim().Replace("error: ", "");
        if (code == ExitCode.Diverged)
            return ScaleResult.Divergence(point, ScaledLearningRate(grid, point), message);
        if (code == 130) throw new OperationCanceledException();
        if (code != ExitCode.Done)
        {
            var error = $"run {point.Key} ({point}): {message}";
            throw code == ExitCode.ClusterUnreachable ? new ClusterUnreachableException(error) : new UserInputException(error);
        }
        return ScaleResult.FromReport(point, Path.Combine(runFolder, "report.json"));
    }

    private static string Describe(ScaleResult r, double target) => r.Status switch
    {
        ScaleResult.Diverged => $"diverged: {r.Note}",
        _ => (r.EpochsToTarget is { } e ? $"reached {target} at epoch {e} ({r.StepsToTarget:N0} steps, {r.SecondsToTarget:F1} s)" : $"did not reach {target} in {r.Epochs} epochs") +
             $"; test accuracy {r.TestAccuracy:F4}; {r.SamplesPerSecond:N0} samples/s" + (r.NoiseScaleAtTarget is { } n ? $"; noise scale {n:N0}" : ""),
    };

    private static ScaleGrid ReadGrid(ParsedArguments args)
    {
        var cluster = ClusterSpec.Parse(args.String("--cluster", ClusterSpec.Default.ToString()));
        var workers = args.IntList("--workers", []);
        if (cluster.IsLocal && workers.Any(w => w != 1))
            throw new UserInputException("--workers needs a cluster: --cluster local is the single-process trainer");
        var partitions = args.Has("--partitions") ? args.Int("--partitions", 8, min: 1) : 8;
        if (workers.FirstOrDefault(w => w > partitions) is var tooMany and > 0)
            throw new UserInputException($"--workers {tooMany} is more than the {partitions} partitions; raise --partitions");
        var batches = args.IntList("--batches", [64, 256, 1024, 4096]);
        var shards = args.IntList("--ps-shards", [1]);
        if (cluster.IsLocal && shards.Any(s => s != 1))
            throw new UserInputException("--ps-shards splits a cluster's parameter server: --cluster local has none");

        var trainArguments = new List<string>();
        foreach (var name in Shared.Where(args.Has))
        {
            var option = Options.First(o => o.Name == name);
            trainArguments.Add(name);
            if (!option.IsFlag) trainArguments.Add(args.String(name)!);
        }
        if (!args.Has("--data")) trainArguments.AddRange(["--data", "fashion-mnist"]);
        if (!args.Has("--cluster")) trainArguments.AddRange(["--cluster", cluster.ToString()]);

        return new ScaleGrid([.. trainArguments], batches.Distinct().Order().ToArray(), workers.Length == 0 ? [cluster.IsLocal ? 1 : 0] : workers.Distinct().Order().ToArray(),
            Choices(args, "--lr-scaling", LearningRateScaling.None, LearningRateScaling.Kinds), Choices(args, "--optimizer", Optimizer.Sgd, Optimizer.Kinds),
            DoubleList(args, "--warmup-epochs"), args.Double("--target", 0.85, 0, 1, positive: true), args.Int("--max-epochs", 30, min: 1), args.Flag("--past-target"),
            shards.SequenceEqual([1]) ? null : shards.Distinct().Order().ToArray());
    }

    private static string[] Choices(ParsedArguments args, string name, string fallback, IReadOnlyList<string> kinds)
    {
        var values = args.String(name, fallback).Split(',', StringSplitOptions.TrimEntries);
        foreach (var value in values)
            if (!kinds.Contains(value)) throw new UserInputException($"{name} '{value}': expected a list of {string.Join(", ", kinds)}");
        return values.Distinct().ToArray();
    }

    private static double[] DoubleList(ParsedArguments args, string name)
    {
        var values = args.String(name, "0").Split(',', StringSplitOptions.TrimEntries);
        return values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x >= 0 && double.IsFinite(x)
            ? x : throw new UserInputException($"{name} '{v}': expected numbers of epochs, 0 or more, separated by commas")).Distinct().Order().ToArray();
    }

    private static ClusterSpec Cluster(ScaleGrid grid) => ClusterSpec.Parse(Value(grid, "--cluster") ?? ClusterSpec.Default.ToString());

    private static bool IsLocal(ScaleGrid grid) => Cluster(grid).IsLocal;

    internal static string? Value(ScaleGrid grid, string name)
    {
        var i = Array.IndexOf(grid.TrainArguments, name);
        return i >= 0 && i + 1 < grid.TrainArguments.Length ? grid.TrainArguments[i + 1] : null;
    }

    private static double ScaledLearningRate(ScaleGrid grid, ScalePoint point)
    {
        var defaults = new Core.Training.TrainOptions();
        var lr = Value(grid, "--lr") is { } given ? double.Parse(given, CultureInfo.InvariantCulture) : defaults.LearningRate;
        var baseBatch = Value(grid, "--base-batch") is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : defaults.BaseBatch;
        return LearningRateScaling.Scale(point.LrScaling, lr, point.Batch, baseBatch);
    }

    private static string[] Without(string[] args, params string?[] names)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (names.Contains(args[i])) { i++; continue; }
            result.Add(args[i]);
        }
        return [.. result];
    }
}
