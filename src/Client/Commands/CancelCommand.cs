using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains.Hosting;
using Trainer.Grains.ParameterServer;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer cancel --job ID --cluster SPEC</c>: the job stops before its next step; its trainer
/// exits with 130 and says so; the checkpoint stays, so 'trainer resume' can continue it.
/// </summary>
public static class CancelCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--job", "the job to stop (required)", "ID"),
        new("--cluster", "the cluster it runs on: localhost:PORT[,PORT...] | redis://HOST:PORT (required)", "SPEC"),
        .. CommonOptions.TlsOptions,
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var job = args.Required("--job");
        var cluster = CommonOptions.RunningCluster(args, "cancel");
        await using var connection = await ClusterConnection.ConnectAsync(cluster, cancellation: cancellation, tls: CommonOptions.Tls(args), warn: output.WriteLine);
        if (!await connection.Grains.GetGrain<IParameterServerGrain>(job).Cancel(connection.Prove(Trainer.Grains.Admission.CallerProof.Cancel, job)))
            throw new UserInputException($"--job {job}: no such job is running on {cluster} (see 'trainer status')");
        output.WriteLine($"job {job} cancelled: it stops before its next step; {ResumeLine.For(job, cluster, null, CommonOptions.Tls(args))} continues it");
        return ExitCode.Done;
    }
}
