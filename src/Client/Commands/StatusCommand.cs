using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer status --cluster SPEC</c>: the cluster's jobs, newest first, with state, epoch, step,
/// best validation metric, workers and where the server and workers run. Running jobs are asked
/// for their live position; the registry's last report stands in for one that does not answer.
/// </summary>
public static class StatusCommand
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

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
        var jobs = await connection.Grains.GetGrain<IJobRegistryGrain>(0).List();
        var live = await Task.WhenAll(jobs.Select(async job =>
        {
            if (job.State != JobStatus.Running) return job;
            try { return await connection.Grains.GetGrain<IParameterServerGrain>(job.Job).Status().WaitAsync(AskTimeout, cancellation) ?? job; }
            catch (Exception e) when (ClusterFaults.IsLoss(e)) { return job; }
        }));

        if (args.Flag("--json"))
        {
            output.WriteLine(JsonSerializer.Serialize(live, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return ExitCode.Done;
        }
        if (live.Length == 0)
        {
            output.WriteLine($"no jobs on {cluster}");
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
}
