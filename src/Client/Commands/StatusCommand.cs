using System.Text.Json;
using Trainer.Client.Cluster;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer status --cluster SPEC</c>: the cluster's jobs, newest first, with state, epoch, step,
/// best validation metric, workers and where the server and workers run (<see cref="ClusterJobs"/>).
/// </summary>
public static class StatusCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--cluster", "a running cluster: localhost:PORT[,PORT...] | redis://HOST:PORT (required)", "SPEC"),
        new("--json", "print the jobs as JSON"),
        .. CommonOptions.TlsOptions,
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var cluster = CommonOptions.RunningCluster(args, "status");
        await using var connection = await ClusterConnection.ConnectAsync(cluster, cancellation: cancellation, tls: CommonOptions.Tls(args),
            warn: args.Flag("--json") ? null : output.WriteLine); // --json prints JSON only
        var list = await ClusterJobs.ReadAsync(connection, cancellation);
        var live = list.Jobs;

        if (args.Flag("--json"))
        {
            var view = new { Jobs = live, OtherCertificates = new { Running = list.OthersRunning, Ended = list.OthersEnded } };
            output.WriteLine(JsonSerializer.Serialize(view, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return ExitCode.Done;
        }
        if (list.OthersRunning + list.OthersEnded > 0) // others' jobs: only that the cluster is busy
            output.WriteLine($"{Count(list.OthersRunning, "running job")} and {Count(list.OthersEnded, "ended job")} of other certificates on {cluster} (only their owners and the operators see them)");
        if (live.Length == 0)
        {
            output.WriteLine(list.OthersRunning + list.OthersEnded > 0 ? "no jobs of this certificate" : $"no jobs on {cluster}");
            return ExitCode.Done;
        }
        output.WriteLine($"{"job",-28}{"state",-11}{"epoch",9}{"step",14}{"best val",16}{"workers",9}  {"model / mode",-32}where");
        foreach (var j in live)
        {
            var where = $"server {j.ParameterServerSilo}; workers {string.Join(", ", j.WorkerSilos.Distinct())}" + (j.PsShards > 1 ? $"; {j.PsShards} shards" : "");
            output.WriteLine($"{j.Job,-28}{j.State,-11}{$"{j.Epoch}/{j.Epochs}",9}{$"{j.StepInEpoch}/{j.StepsPerEpoch}",14}{(j.BestValidation is { } b ? $"{(j.Monitor == "accuracy" ? "acc" : "loss")} {b:F4}" : "-"),16}" +
                             $"{j.Workers,9}  {$"{j.Model}, {j.Mode}",-32}{where}");
        }
        return ExitCode.Done;
    }

    private static string Count(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";
}
