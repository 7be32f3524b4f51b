using Trainer.Client.CommandLine;
using Trainer.Core;

namespace Trainer.Client.Commands.Bench;

/// <summary><c>trainer bench kernel | transport | train | peers</c>: each prints a table, then its figures as one line of JSON.</summary>
public static class BenchCommand
{
    public static IReadOnlyList<CommandSpec> Commands { get; } =
    [
        new("kernel", "samples/s and GFLOP/s of a training step per kernel, on one thread and on all cores", KernelBench.Options, CommandSpec.Sync(KernelBench.Run)),
        new("transport", "a weight pull plus a gradient push between two silos", TransportBench.Options, TransportBench.RunAsync),
        new("train", "training throughput per cluster and global batch, through the real trainer train", TrainBench.Options, TrainBench.RunAsync),
        new("peers", "the Fashion-MNIST MLP on the trainer's configurations and on PyTorch, with the ratios", PeersBench.Options, CommandSpec.Sync(PeersBench.Run)),
    ];

    /// <summary>Prints the JSON line and writes it to --json when given.</summary>
    internal static int Finish(string json, ParsedArguments args, TextWriter output)
    {
        output.WriteLine(json);
        if (args.String("--json") is { } path)
        {
            try { File.WriteAllText(path, json + "\n"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"--json {path}: cannot write ({e.Message})");
            }
        }
        return ExitCode.Done;
    }

    /// <summary>The value below which the given share of the sorted values lie (nearest rank).</summary>
    internal static double Percentile(double[] sorted, double share) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
}
