using Trainer.Client.CommandLine;
using Trainer.Core;

namespace Trainer.Client.Commands.Bench;

/// <summary><c>trainer bench kernel | transport | train | peers</c>: each prints a table, then its figures as one line of JSON.</summary>
public static class BenchCommand
{
    public const string Usage = "usage: trainer bench kernel|transport|train|peers [options]  ('trainer bench <name> --help' lists the options)";

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? ExitCode.UserError : ExitCode.Done;
        }
        return args[0] switch
        {
            "kernel" => KernelBench.Run(Cli.Parse(KernelBench.Options, "bench kernel", args[1..], output), output, cancellation),
            "transport" => await TransportBench.RunAsync(Cli.Parse(TransportBench.Options, "bench transport", args[1..], output), output, cancellation),
            "train" => await TrainBench.RunAsync(Cli.Parse(TrainBench.Options, "bench train", args[1..], output), output, cancellation),
            "peers" => PeersBench.Run(Cli.Parse(PeersBench.Options, "bench peers", args[1..], output), output, cancellation),
            _ => throw new UserInputException($"unknown benchmark '{args[0]}'; benchmarks: kernel, transport, train, peers"),
        };
    }

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
