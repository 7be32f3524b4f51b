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
/// <c>trainer bench peers</c>: the Fashion-MNIST MLP (or with <c>--model lenet</c> d2l's LeNet) on the
/// trainer's configurations, at each global batch, against the machine's limit: two single-thread
/// <c>bench kernel</c> processes at once, one pinned to each of the first two cores (the same step's
/// arithmetic with nothing of ours in the way; the data-parallel ceiling). Then PyTorch on one thread
/// and DistributedDataParallel with two processes of one thread, and every ratio against one thread
/// and against the limit. Every run is a process of its own (the trainer run again, or python3 with
/// bench/peers/*.py) in one environment (OpenBLAS's core type set to the one the trainer chose, for
/// PyTorch too), one after the other in one command.
/// </summary>
public static partial class PeersBench
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model", "mlp (default): the MLP 784-256-10 | lenet: LeNet-5 (ReLU, max pooling)", "KIND") { Choices = ["mlp", ModelSpec.LeNet] },
        new("--epochs", "epochs of each throughput run (default 4; samples/s is the median over epochs 2 on)", "N"),
        new("--batches", "global batches (default 256,2048)", "B[,B...]"),
        new("--target", "test accuracy to time at the first batch, the MLP only (default 0.88; 0: no timing)", "ACC"),
        new("--target-epochs", "epochs the time-to-target runs may take (default 20)", "N"),
        new("--no-torch", "leave out the PyTorch runs", null),
        new("--python", "the Python with PyTorch (default /usr/bin/python3)", "PATH"),
        new("--peers", "the folder of the peer scripts (default bench/peers of the repository)", "DIR"),
        new("--json", "also write the JSON to this file (default: print it only)", "FILE"),
    ];

    private sealed record PeerRun(string Name, double SamplesPerSecond, double? SecondsToTarget, double? PeakMemoryMB, int Batch = 0);

    /// <summary>A ratio the product is held to: a run's samples/s over one thread's and over the limit's, at one batch.</summary>
    private sealed record Ratio(string Run, int Batch, double OverOneThread, double OverLimit, double? Goal);

    public static int Run(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var lenet = args.Choice("--model", "mlp", ["mlp", ModelSpec.LeNet]) == ModelSpec.LeNet;
        var epochs = args.Int("--epochs", 4, min: 2);
        var batches = args.IntList("--batches", [256, 2048]);
        var target = args.Double("--target", lenet ? 0 : 0.88, 0, 1);
        var targetEpochs = args.Int("--target-epochs", 20, min: 1);
        var torch = !args.Has("--no-torch");
        var python = args.String("--python", "/usr/bin/python3");
        var peers = args.String("--peers") ?? FindPeers();
        if (torch && !File.Exists(Path.Combine(peers, "torch_fmnist.py"))) throw new UserInputException($"--peers {peers}: no torch_fmnist.py in it");
        var core = (KernelChoice.Select("auto") as OpenBlasKernel)?.CoreType;
        var environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
        if (core is not null) environment["OPENBLAS_CORETYPE"] = core;
        var model = lenet ? "LeNet-5 (ReLU, max pooling)" : "MLP 784-256-10";
        output.WriteLine($"bench peers: Fashion-MNIST {model}, lr 0.1, momentum 0.9, {epochs} epochs; OPENBLAS_CORETYPE={core ?? "(OpenBLAS's choice)"} for every run; " +
                         $"{Environment.ProcessorCount} cores ({CpuModel()})");

        string[] modelArgs = lenet ? ["--model", ModelSpec.LeNet] : [];
        var runs = new List<PeerRun>();
        var ratios = new List<Ratio>();
        foreach (var batch in batches)
        {
            string[] job = [.. modelArgs, "--data", "fashion-mnist", "--batch", $"{batch}", "--lr", "0.1", "--momentum", "0.9", "--val-fraction", "0", "--patience", "0", "--epochs", $"{epochs}"];
            output.WriteLine($"batch {batch}:");
            var here = new List<PeerRun>();
            void Add(PeerRun run)
            {
                cancellation.ThrowIfCancellationRequested();
                here.Add(run with { Batch = batch });
                output.WriteLine($"  {run.Name,-52}{run.SamplesPerSecond,12:N0} samples/s" + (run.PeakMemoryMB is { } mb ? $"  peak {mb:N0} MiB" : ""));
            }
            var (alone, limit) = Limit(lenet ? ModelSpec.LeNet : ModelSpec.Mlp, batch, environment, output);
            Add(alone);
            Add(limit);
            Add(Trainer("local, 1 partition, 1 thread", [.. job, "--cluster", "local", "--partitions", "1", "--threads", "1"], environment));
            Add(Trainer("local, 8 partitions, 1 thread", [.. job, "--cluster", "local", "--partitions", "8", "--threads", "1"], environment));
            Add(Trainer("local, defaults", [.. job, "--cluster", "local"], environment));
            Add(Trainer("embedded:2, defaults", [.. job, "--cluster", "embedded:2"], environment));
            if (torch)
            {
                var script = lenet ? ModelSpec.LeNet : "mlp";
                Add(Torch("PyTorch, 1 thread", python, [Path.Combine(peers, "torch_fmnist.py"), script, $"{epochs}", $"{batch}", "0.1", "1", "0.9"], environment));
                if (!lenet) Add(Torch("PyTorch DDP, 2 processes x 1 thread", python, [Path.Combine(peers, "torch_ddp_fmnist.py"), "2", $"{epochs}", $"{batch}", "0.1", "0.9"], environment));
            }
            var (one, ceiling) = (here[2].SamplesPerSecond, here[1].SamplesPerSecond);
            foreach (var run in here.Skip(2)) ratios.Add(new Ratio(run.Name, batch, run.SamplesPerSecond / one, run.SamplesPerSecond / ceiling, Goal(run.Name, batch, lenet)));
            ratios.Add(new Ratio("limit: 2 kernel processes at once", batch, ceiling / one, 1, null));
            runs.AddRange(here);
        }

        output.WriteLine($"ratios (samples/s over local 1 partition 1 thread, and over the limit):");
        foreach (var r in ratios)
            output.WriteLine($"  {r.Run,-52}batch {r.Batch,5}{r.OverOneThread,8:F2}{r.OverLimit,8:F2}" + (r.Goal is { } g ? $"   goal ≥ {g:F2} over one thread" : ""));

        PeerRun? ours = null, theirs = null;
        if (target > 0 && !lenet)
        {
            var batch = batches[0];
            string[] job = ["--data", "fashion-mnist", "--batch", $"{batch}", "--lr", "0.1", "--momentum", "0.9", "--val-fraction", "0", "--patience", "0"];
            output.WriteLine($"time to {target} test accuracy at batch {batch} (training seconds, up to {targetEpochs} epochs):");
            ours = Trainer("embedded:2, defaults", [.. job, "--epochs", $"{targetEpochs}", "--cluster", "embedded:2"], environment, target);
            output.WriteLine($"  {ours.Name,-52}{(ours.SecondsToTarget is { } s ? $"{s,10:F1} s" : "   not reached")}");
            if (torch)
            {
                theirs = Torch("PyTorch DDP, 2 processes x 1 thread", python,
                    [Path.Combine(peers, "torch_ddp_fmnist.py"), "2", $"{targetEpochs}", $"{batch}", "0.1", "0.9", target.ToString(CultureInfo.InvariantCulture)], environment, target);
                output.WriteLine($"  {theirs.Name,-52}{(theirs.SecondsToTarget is { } t ? $"{t,10:F1} s" : "   not reached")}");
            }
        }
        var json = JsonSerializer.Serialize(new
        {
            benchmark = "peers", model = lenet ? ModelSpec.LeNet : "mlp", batches, epochs, target, openblasCoreType = core, cores = Environment.ProcessorCount, cpu = CpuModel(),
            runs, ratios, timeToTarget = new[] { ours, theirs }.Where(r => r is not null),
        });
        return BenchCommand.Finish(json, args, output);
    }

    /// <summary>issue 22's goals, over one thread: 8 partitions cost nothing, and both cores pay on every path.</summary>
    private static double? Goal(string run, int batch, bool lenet) => (run, batch, lenet) switch
    {
        ("trainer local, 8 partitions, 1 thread", 256, false) => 0.9,
        ("trainer local, defaults", 256, false) => 1.6,
        ("trainer local, defaults", 2048, false) => 1.7,
        ("trainer embedded:2, defaults", 256, false) => 1.4,
        ("trainer embedded:2, defaults", 2048, false) => 1.6,
        ("trainer embedded:2, defaults", 256, true) => 1.6,
        _ => null,
    };

    /// <summary>
    /// The machine's limit: one single-thread <c>bench kernel</c> process alone, then two at once
    /// pinned one per core (taskset), their samples/s added.
    /// </summary>
    private static (PeerRun Alone, PeerRun Limit) Limit(string model, int batch, IReadOnlyDictionary<string, string> environment, TextWriter output)
    {
        string[] kernel = ["bench", "kernel", "--model", model, "--batch", $"{batch}", "--threads", "1", "--kernels", "auto", "--seconds", "4"];
        double Rate(string json) => JsonDocument.Parse(json.Trim().Split('\n')[^1]).RootElement.GetProperty("results")[0].GetProperty("samplesPerSecond").GetDouble();
        ProcessStartInfo Pinned(int cpu)
        {
            var self = SelfProcess.Start(kernel);
            var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "-c", $"{cpu}", self.FileName }.Concat(self.ArgumentList)) start.ArgumentList.Add(arg);
            return start;
        }
        var alone = Rate(Execute(Pinned(0), environment, "bench kernel alone"));
        var pair = new[] { 0, 1 }.Select(cpu => Task.Run(() => Rate(Execute(Pinned(cpu % Environment.ProcessorCount), environment, $"bench kernel on core {cpu}")))).ToArray();
        Task.WaitAll(pair);
        output.WriteLine($"  (the two kernel processes at once: {pair[0].Result:N0} + {pair[1].Result:N0}, each {pair[0].Result / alone:F2}x and {pair[1].Result / alone:F2}x of one alone)");
        return (new PeerRun("bench kernel, 1 thread, alone", alone, null, null), new PeerRun("limit: 2 bench kernel processes at once", pair[0].Result + pair[1].Result, null, null));
    }

    /// <summary>The CPU's model name (/proc/cpuinfo), for the record: figures are the machine kind's.</summary>
    private static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"; }
        catch (IOException) { return "unknown CPU"; }
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
