using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Client.Commands.Bench;

/// <summary>
/// <c>trainer bench peers</c>: the Fashion-MNIST MLP job (or with <c>--model lenet</c> d2l's LeNet) on the trainer's configurations and on
/// PyTorch (one thread, and DistributedDataParallel with two processes of one thread), one after
/// the other in one run and one environment (OpenBLAS's core type set to the one the trainer chose,
/// for PyTorch too), then the ratios the product is held to. Every run is a process of its own
/// (the trainer run again, or python3 with bench/peers/*.py), so their warm-ups and memory are their own.
/// </summary>
public static partial class PeersBench
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model", "mlp (default): the MLP 784-256-10 against PyTorch and DDP | lenet: LeNet-5 (ReLU, max pooling) on one thread against PyTorch's", "KIND") { Choices = ["mlp", ModelSpec.LeNet] },
        new("--epochs", "epochs of each throughput run (default 6; samples/s is the median over epochs 2 on)", "N"),
        new("--batch", "global batch (default 256)", "B"),
        new("--target", "test accuracy to time (default 0.88)", "ACC"),
        new("--target-epochs", "epochs the time-to-target runs may take (default 20)", "N"),
        new("--python", "the Python with PyTorch (default /usr/bin/python3)", "PATH"),
        new("--peers", "the folder of the peer scripts (default bench/peers of the repository)", "DIR"),
        new("--json", "also write the JSON to this file (default: print it only)", "FILE"),
    ];

    private sealed record PeerRun(string Name, double SamplesPerSecond, double? SecondsToTarget, double? PeakMemoryMB);

    public static int Run(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var epochs = args.Int("--epochs", 6, min: 2);
        var batch = args.Int("--batch", 256, min: 2);
        var target = args.Double("--target", 0.88, 0, 1, positive: true);
        var targetEpochs = args.Int("--target-epochs", 20, min: 1);
        var python = args.String("--python", "/usr/bin/python3");
        var peers = args.String("--peers") ?? FindPeers();
        if (!File.Exists(Path.Combine(peers, "torch_fmnist.py"))) throw new UserInputException($"--peers {peers}: no torch_fmnist.py in it");
        var core = (KernelChoice.Select("auto") as OpenBlasKernel)?.CoreType;
        var environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
        if (core is not null) environment["OPENBLAS_CORETYPE"] = core;
        if (args.Choice("--model", "mlp", ["mlp", ModelSpec.LeNet]) == ModelSpec.LeNet)
            return RunLeNet(args, output, epochs, batch, python, peers, core, environment, cancellation);
        output.WriteLine($"bench peers: Fashion-MNIST MLP 784-256-10, batch {batch}, lr 0.1, momentum 0.9, {epochs} epochs; OPENBLAS_CORETYPE={core ?? "(OpenBLAS's choice)"} for every run; {Environment.ProcessorCount} cores");

        string[] job = ["--data", "fashion-mnist", "--batch", $"{batch}", "--lr", "0.1", "--momentum", "0.9", "--val-fraction", "0", "--patience", "0"];
        var runs = new List<PeerRun>();
        void Add(PeerRun run)
        {
            cancellation.ThrowIfCancellationRequested();
            runs.Add(run);
            output.WriteLine($"  {run.Name,-44}{run.SamplesPerSecond,12:N0} samples/s" + (run.PeakMemoryMB is { } mb ? $"  peak {mb:N0} MiB" : ""));
        }
        Add(Trainer("local, 1 partition, 1 thread", [.. job, "--epochs", $"{epochs}", "--cluster", "local", "--partitions", "1", "--threads", "1"], environment));
        Add(Trainer("local, defaults", [.. job, "--epochs", $"{epochs}", "--cluster", "local"], environment));
        Add(Trainer("local, 1 partition", [.. job, "--epochs", $"{epochs}", "--cluster", "local", "--partitions", "1"], environment));
        Add(Trainer("embedded:1, 1 worker, 1 partition", [.. job, "--epochs", $"{epochs}", "--cluster", "embedded:1", "--partitions", "1"], environment));
        Add(Trainer("embedded:2, defaults", [.. job, "--epochs", $"{epochs}", "--cluster", "embedded:2"], environment));
        Add(Torch("PyTorch, 1 thread", python, [Path.Combine(peers, "torch_fmnist.py"), "mlp", $"{epochs}", $"{batch}", "0.1", "1", "0.9"], environment));
        Add(Torch("PyTorch DDP, 2 processes x 1 thread", python, [Path.Combine(peers, "torch_ddp_fmnist.py"), "2", $"{epochs}", $"{batch}", "0.1", "0.9"], environment));

        output.WriteLine($"time to {target} test accuracy (training seconds, up to {targetEpochs} epochs):");
        var ours = Trainer("embedded:2, defaults", [.. job, "--epochs", $"{targetEpochs}", "--cluster", "embedded:2"], environment, target);
        var theirs = Torch("PyTorch DDP, 2 processes x 1 thread", python,
            [Path.Combine(peers, "torch_ddp_fmnist.py"), "2", $"{targetEpochs}", $"{batch}", "0.1", "0.9", target.ToString(CultureInfo.InvariantCulture)], environment, target);
        foreach (var r in new[] { ours, theirs })
            output.WriteLine($"  {r.Name,-44}{(r.SecondsToTarget is { } s ? $"{s,10:F1} s" : "   not reached")}");

        double Of(int run) => runs[run].SamplesPerSecond;
        var ratios = new (string What, double Ratio, double Goal)[]
        {
            ("local defaults / local 1 partition 1 thread", Of(1) / Of(0), 0.85),
            ("embedded:1 1 worker / local, same options", Of(3) / Of(2), 0.90),
            ("embedded:2 / PyTorch DDP 2x1", Of(4) / Of(6), 1.3),
            ("embedded:2 / local, same options", Of(4) / Of(1), 0.80),
            ($"time to {target}: embedded:2 / DDP (at most)", ours.SecondsToTarget is { } a && theirs.SecondsToTarget is { } b ? a / b : double.NaN, 0.6),
        };
        output.WriteLine("ratios:");
        foreach (var (what, ratio, goal) in ratios)
            output.WriteLine($"  {what,-48}{(double.IsFinite(ratio) ? $"{ratio,8:F2}" : "     n/a")}   goal {(what.Contains("at most") ? "≤" : "≥")} {goal:F2}");
        var json = JsonSerializer.Serialize(new
        {
            benchmark = "peers", batch, epochs, target, openblasCoreType = core, cores = Environment.ProcessorCount,
            runs = runs.Append(ours).Append(theirs), ratios = ratios.Select(r => new { r.What, ratio = double.IsFinite(r.Ratio) ? Math.Round(r.Ratio, 3) : (double?)null, r.Goal }), // null: a target not reached
        });
        return BenchCommand.Finish(json, args, output);
    }

    /// <summary>
    /// LeNet-5 (ReLU, max pooling) at the same batch, lr 0.1 and momentum 0.9: the trainer on one
    /// thread and one partition against PyTorch on one thread (its own convolutions), and the
    /// trainer's defaults for the record.
    /// </summary>
    private static int RunLeNet(ParsedArguments args, TextWriter output, int epochs, int batch, string python, string peers, string? core,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellation)
    {
        output.WriteLine($"bench peers: Fashion-MNIST LeNet-5 (ReLU, max pooling), batch {batch}, lr 0.1, momentum 0.9, {epochs} epochs; OPENBLAS_CORETYPE={core ?? "(OpenBLAS's choice)"} for every run; {Environment.ProcessorCount} cores");
        string[] job = ["--model", ModelSpec.LeNet, "--data", "fashion-mnist", "--batch", $"{batch}", "--lr", "0.1", "--momentum", "0.9", "--val-fraction", "0", "--patience", "0", "--epochs", $"{epochs}"];
        var runs = new List<PeerRun>();
        foreach (var run in new Func<PeerRun>[]
        {
            () => Trainer("local, 1 partition, 1 thread", [.. job, "--cluster", "local", "--partitions", "1", "--threads", "1"], environment),
            () => Torch("PyTorch, 1 thread", python, [Path.Combine(peers, "torch_fmnist.py"), ModelSpec.LeNet, $"{epochs}", $"{batch}", "0.1", "1", "0.9"], environment),
            () => Trainer("local, defaults", [.. job, "--cluster", "local"], environment),
        })
        {
            cancellation.ThrowIfCancellationRequested();
            runs.Add(run());
            output.WriteLine($"  {runs[^1].Name,-44}{runs[^1].SamplesPerSecond,12:N0} samples/s");
        }
        var ratio = runs[0].SamplesPerSecond / runs[1].SamplesPerSecond;
        output.WriteLine("ratios:");
        output.WriteLine($"  {"local 1 partition 1 thread / PyTorch 1 thread",-48}{ratio,8:F2}   goal ≥ 0.80");
        var json = JsonSerializer.Serialize(new
        {
            benchmark = "peers", model = ModelSpec.LeNet, batch, epochs, openblasCoreType = core, cores = Environment.ProcessorCount,
            runs, ratios = new[] { new { What = "local 1 partition 1 thread / PyTorch 1 thread", ratio = Math.Round(ratio, 3), Goal = 0.8 } },
        });
        return BenchCommand.Finish(json, args, output);
    }

    /// <summary>The trainer as a child process: samples/s is the median of its epochs after the first; with a target, the training seconds to the first epoch whose test accuracy reaches it.</summary>
    private static PeerRun Trainer(string name, string[] trainArgs, IReadOnlyDictionary<string, string> environment, double? target = null)
    {
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-peers-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Execute(SelfProcess.Start(["train", .. trainArgs, "--out", outDir]), environment, name);
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
            var epochs = report.RootElement.GetProperty("epochs").EnumerateArray().ToArray();
            var rates = epochs.Skip(1).Select(e => e.GetProperty("samplesPerSecond").GetDouble()).Order().ToArray();
            double? toTarget = null, seconds = 0;
            foreach (var e in epochs)
            {
                seconds += e.GetProperty("trainSeconds").GetDouble();
                if (toTarget is null && target is { } t && e.TryGetProperty("testAccuracy", out var accuracy) && accuracy.GetDouble() >= t) toTarget = seconds;
            }
            return new PeerRun($"trainer {name}", rates.Length > 0 ? rates[rates.Length / 2] : 0, toTarget, report.RootElement.GetProperty("peakMemoryMB").GetDouble());
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>A PyTorch peer: per-epoch samples/s from its cumulative lines (median after the first), and its time to the target.</summary>
    private static PeerRun Torch(string name, string python, string[] scriptArgs, IReadOnlyDictionary<string, string> environment, double? target = null)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in scriptArgs) start.ArgumentList.Add(arg);
        var lines = Execute(start, environment, name);
        var epochs = EpochLine().Matches(lines).Select(m => (Seconds: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Accuracy: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).ToArray();
        if (epochs.Length == 0) throw new UserInputException($"bench peers: {name} printed no epochs: {lines.Trim()}");
        var samples = 60_000.0;
        var rates = epochs.Select((e, i) => samples / (e.Seconds - (i == 0 ? 0 : epochs[i - 1].Seconds))).Skip(1).Order().ToArray();
        var toTarget = target is { } t ? epochs.Where(e => e.Accuracy >= t).Select(e => (double?)e.Seconds).FirstOrDefault() : null;
        return new PeerRun(name, rates.Length > 0 ? rates[rates.Length / 2] : samples / epochs[0].Seconds, toTarget, null);
    }

    private static string Execute(ProcessStartInfo start, IReadOnlyDictionary<string, string> environment, string name)
    {
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new UserInputException($"bench peers: {name}: {start.FileName} could not be started");
        var errors = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new UserInputException($"bench peers: {name} exited with {process.ExitCode}: {errors.Result.Trim().Split('\n').LastOrDefault()}");
        return text;
    }


    /// <summary>bench/peers of the repository this trainer was built from, or of the working folder.</summary>
    private static string FindPeers()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "bench", "peers", "torch_fmnist.py"))) return Path.Combine(dir.FullName, "bench", "peers");
        return Path.Combine("bench", "peers");
    }

    [GeneratedRegex(@"epoch \d+ test_acc ([0-9.]+) train_s ([0-9.]+)")]
    private static partial Regex EpochLine();
}
