using Trainer.Client.Cluster;
using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.Core;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer resume --job ID</c>: continue a job from its last checkpoint, after the trainer was
/// lost or the whole cluster restarted; writes its report and model like <c>train</c>.
/// </summary>
public static class ResumeCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--job", "the job to continue (as given to 'train --job' or printed when it started)", "ID"),
        new("--cluster", "embedded[:N] (default embedded:2) | localhost:PORT[,PORT...] | redis://HOST:PORT", "SPEC"),
        new("--checkpoint-dir", "embedded clusters: checkpoint folder (default $TRAINER_CHECKPOINTS or ~/.local/share/trainer/checkpoints)", "DIR"),
        new("--out", "output folder (default runs/<time-stamp>)", "DIR"),
        .. TrainCommand.Options.Where(o => o.Name is "--telemetry" or "--otlp-endpoint"),
        .. TrainCommand.TlsOptions,
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var job = args.Required("--job");
        var cluster = ClusterSpec.Parse(args.String("--cluster", ClusterSpec.Default.ToString()));
        if (cluster.IsLocal) throw new UserInputException("--cluster local keeps no checkpoints: resume a job on the cluster it ran on");
        TrainCommand.CheckCheckpointDir(args, cluster);
        var outDir = args.String("--out") ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        RunOutput.CheckTarget(outDir);

        using var telemetry = TrainCommand.StartTelemetry(args);
        var started = DateTime.UtcNow;
        await using var connection = await ClusterConnection.ConnectAsync(cluster, args.String("--checkpoint-dir"), TimeSpan.FromSeconds(10), cancellation: cancellation, tls: TrainCommand.Tls(args));
        var silos = await connection.CountSilosAsync();
        var (runner, resume) = await ClusterEpochRunner.ResumeAsync(connection.Grains, job, output);
        if (resume.Note is { } note) output.WriteLine($"warning: {note}");
        output.WriteLine($"job {job} resumed at epoch {resume.Epoch}, step {resume.Step} ({resume.Loop.CompletedEpochs} epochs complete)");

        var run = await TrainCommand.TrainOnClusterAsync(runner, cluster, silos, resume, new ConsoleProgress(output, runner.Spec.Options.Batch), output, cancellation);
        TrainCommand.WriteOutputs(outDir, job, runner.Spec.Data, runner.Spec.Options, run, started, output);
        return ExitCode.Done;
    }
}
