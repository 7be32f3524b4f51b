using System.Globalization;
using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.Client.Commands.Train;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Optim;
using Trainer.Core.Scaling;
using Trainer.Core.Training;
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
        "--data", "--test", "--label-column", "--delimiter", "--missing", "--ignore-columns", "--features", "--val-fraction", "--model", "--hidden", "--activation", "--dropout", "--layers", "--pool", "--input-shape", "--task",
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
        new("--tune-lr", "at every batch, trials at --lr × 0.25, 0.5, 1, 2, 4 (after the scaling rule): the best trial per batch, by steps to target, is the hindsight baseline (Shallue et al. 2018)"),
        new("--lr-factors", "the trials' multiples of --lr, instead of --tune-lr's (default 0.25,0.5,1,2,4 with --tune-lr, else 1)", "LIST"),
        new("--project", "after the sweep, fit the step-time cost model to its cluster runs and project it past this machine (workers and --ps-shards)"),
        new("--link", "with --project: every host's link rate, such as 10gbit, 2.5gbit or 100mbit, or a list; the transfer adds the busiest link's wire time (default: loopback only)", "RATE"),
        new("--latency", "with --project: the round trip between hosts, such as 0.1ms or 50us, paid once for the pull and once for the push of every step (default 0)", "TIME"),
        new("--from-harness", "fit the cost model to the runs of bench/hosts/scaleout.sh --json FILE instead of running a sweep, check it against them and project efficiency to 64 hosts (default: none, a sweep runs)", "FILE"),
        new("--against", "with --from-harness: more runs of scaleout.sh --json (e.g. at more hosts) that the fit does not see, each predicted against what it measured (default: none)", "FILE"),
        new("--out", "sweep folder (default scale/<time-stamp>); the same command with the same folder continues a sweep", "DIR"),
        .. TrainCommand.Options.Where(o => Shared.Contains(o.Name) || o.Name == "--tls-password"),
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var (rates, roundTripMs) = ReadNetwork(args); // before any run: a typo fails at once
        if (args.String("--from-harness") is { } harness)
        {
            var held = args.String("--against") is { } against ? HarnessFile.Read(against, "--against") : null;
            output.Write(HostsProjection.Describe(HarnessFile.Read(harness), rates, roundTripMs, held));
            return ExitCode.Done;
        }
        var grid = ReadGrid(args);
        var shared = SharedRequest(args); // the options every run shares, read once
        var folder = args.String("--out") ?? Path.Combine("scale", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        var sweep = ScaleFolder.Open(folder, grid);
        var points = grid.Points;
        var done = points.Count(p => sweep.Results.ContainsKey(p.Key));
        output.WriteLine($"sweep of {points.Count} runs to validation {grid.Target} within {grid.MaxEpochs} epochs: batches {string.Join(',', grid.Batches)}; " +
                         $"workers {string.Join(',', grid.Workers)}; lr scaling {string.Join(',', grid.LrScalings)}; optimizer {string.Join(',', grid.Optimizers)}; " +
                         $"warm-up {string.Join(',', grid.WarmupEpochs)}" + (grid.PsShards is { } shards ? $"; parameter-server shards {string.Join(',', shards)}" : "") + (done > 0 ? $"; {done} already done in {folder}, continuing" : ""));

        using var telemetry = CommonOptions.StartTelemetry(args);
        var index = 0;
        foreach (var point in points)
        {
            index++;
            if (sweep.Results.ContainsKey(point.Key)) continue;
            cancellation.ThrowIfCancellationRequested();
            output.WriteLine($"[{index}/{points.Count}] {point}");
            var result = await RunOneAsync(grid, RequestFor(shared, grid, point, sweep, args.Has("--partitions")), point, output, cancellation);
            sweep.Add(result);
            output.WriteLine($"[{index}/{points.Count}] {Describe(result, grid.Target)}");
        }

        sweep.WriteOutputs(); // also when every run was done before: outputs of this version
        output.WriteLine($"sweep done: wrote {folder}/results.csv, results.json, summary.md and plots");
        output.Write(ScaleSummary.Knees(grid, sweep.Results.Values.ToList()));
        if (grid.LrFactors is not null) output.Write(ScaleSummary.Tuned(grid, sweep.Results.Values.ToList()));
        if (args.Flag("--project")) output.Write(Projection.Describe(grid, sweep.Results.Values.ToList(), rates.Select(r => new NetworkLink(r, roundTripMs)).ToArray()));
        return ExitCode.Done;
    }

    /// <summary>The shared options as train reads them (a sweep's default data is Fashion-MNIST); each run sets its point's own.</summary>
    private static TrainRequest SharedRequest(ParsedArguments args) =>
        TrainArguments.ReadRequest(args.Only([.. Shared, "--tls-password"]).WithDefault("--data", "fashion-mnist"));

    /// <summary>One point's run: train's request to its target, with the point's batch, rule, optimiser, warm-up, shards and workers.</summary>
    private static TrainRequest RequestFor(TrainRequest shared, ScaleGrid grid, ScalePoint point, ScaleFolder sweep, bool partitionsGiven) =>
        (shared with
        {
            Options = shared.Options with
            {
                Batch = point.Batch,
                LearningRate = shared.Options.LearningRate * point.LrFactor,
                Epochs = grid.MaxEpochs,
                Target = grid.Target,
                StopAtTarget = !grid.PastTarget,
                Patience = 0,
                LrScaling = point.LrScaling,
                Optimizer = point.Optimizer,
                WarmupEpochs = point.WarmupEpochs,
                Partitions = partitionsGiven ? shared.Options.Partitions : Math.Min(new TrainOptions().Partitions, point.Batch),
            },
            PsShards = point.PsShards,
            Workers = shared.Cluster.IsLocal || point.Workers == 0 ? null : point.Workers, // 0: train's default, one per silo
            Job = $"scale-{sweep.Id}-{point.Key}",
            Out = sweep.RunFolder(point),
            CheckpointDir = shared.Cluster.Kind == ClusterSpec.Embedded ? sweep.CheckpointFolder : null,
        }).Validated();

    /// <summary>A run to its target: its report as the point's result; a divergence is a result too, the sweep goes on.</summary>
    private static async Task<ScaleResult> RunOneAsync(ScaleGrid grid, TrainRequest request, ScalePoint point, TextWriter output, CancellationToken cancellation)
    {
        try
        {
            await TrainRun.RunAsync(request, output, cancellation);
            return ScaleResult.FromReport(point, Path.Combine(request.Out, "report.json"));
        }
        catch (Exception e) when (e is TrainingDivergedException || e is JobFaultException { Kind: JobFaultException.Diverged })
        {
            return ScaleResult.Divergence(point, request.Options.ScaledLearningRate, e.Message);
        }
        catch (UserInputException e)
        {
            throw new UserInputException($"run {point.Key} ({point}): {e.Message}");
        }
        catch (JobFaultException e) when (e.Kind == JobFaultException.UserError)
        {
            throw new UserInputException($"run {point.Key} ({point}): {e.Message}");
        }
    }

    private static string Describe(ScaleResult r, double target) => r.Status switch
    {
        ScaleResult.Diverged => $"diverged: {r.Note}",
        _ => (r.EpochsToTarget is { } e ? $"reached {target} at epoch {e} ({r.StepsToTarget:N0} steps, {r.SecondsToTarget:F1} s)" : $"did not reach {target} in {r.Epochs} epochs") +
             $"; test accuracy {r.TestAccuracy:F4}; {r.SamplesPerSecond:N0} samples/s" + (r.NoiseScaleAtTarget is { } n ? $"; noise scale {n:N0}" : ""),
    };

    /// <summary>The links of --link (bits per second) and --latency (ms), which only a projection uses.</summary>
    private static (double[] Rates, double RoundTripMs) ReadNetwork(ParsedArguments args)
    {
        foreach (var name in new[] { "--link", "--latency" })
            if (args.Has(name) && !args.Flag("--project") && !args.Has("--from-harness"))
                throw new UserInputException($"{name} describes the network of a projection: add --project (or --from-harness FILE)");
        if (args.Has("--against") && !args.Has("--from-harness"))
            throw new UserInputException("--against checks a fit to harness runs: add --from-harness FILE");
        var rates = (args.String("--link") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => NetworkUnits.ParseRate("--link", r)).Distinct().ToArray();
        var roundTrip = args.String("--latency") is { } latency ? NetworkUnits.ParseLatency("--latency", latency) : 0;
        if (roundTrip > 0 && rates.Length == 0 && !args.Has("--from-harness"))
            throw new UserInputException("--latency needs --link RATE: the latency of which network?");
        return (rates, roundTrip);
    }

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

        var factors = args.Has("--lr-factors") ? Factors(args.String("--lr-factors")!) : args.Flag("--tune-lr") ? TuneLrFactors : null;

        return new ScaleGrid([.. trainArguments], batches.Distinct().Order().ToArray(), workers.Length == 0 ? [cluster.IsLocal ? 1 : 0] : workers.Distinct().Order().ToArray(),
            Choices(args, "--lr-scaling", LearningRateScaling.None, LearningRateScaling.Kinds), Choices(args, "--optimizer", Optimizer.Sgd, Optimizer.Kinds),
            DoubleList(args, "--warmup-epochs"), args.Double("--target", 0.85, 0, 1, positive: true), args.Int("--max-epochs", 30, min: 1), args.Flag("--past-target"),
            shards.SequenceEqual([1]) ? null : shards.Distinct().Order().ToArray(), factors);
    }

    /// <summary>--tune-lr's trials: a factor of two apart around --lr, as Shallue et al. tuned a geometric grid per batch.</summary>
    public static readonly double[] TuneLrFactors = [0.25, 0.5, 1, 2, 4];

    private static double[] Factors(string list)
    {
        var values = list.Split(',', StringSplitOptions.TrimEntries).Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x)
            ? x : throw new UserInputException($"--lr-factors '{v}': expected multiples of --lr above 0, separated by commas")).Distinct().Order().ToArray();
        return values;
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
}
