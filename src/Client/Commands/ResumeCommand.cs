using Trainer.Client.Cluster;
using Trainer.Client.CommandLine;
using Trainer.Client.Commands.Train;
using Trainer.Client.Output;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Training;
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
        new("--job", "the job to continue, as given to 'train --job' or printed when it started (required)", "ID"),
        new("--cluster", "embedded[:N] (default embedded:2) | localhost:PORT[,PORT...] | redis://HOST:PORT", "SPEC"),
        CommonOptions.CheckpointDir,
        new("--out", "output folder (default runs/<time-stamp>)", "DIR"),
        .. CommonOptions.TelemetryOptions,
        CommonOptions.MetricsPort,
        CommonOptions.Dashboard,
        .. CommonOptions.TlsOptions,
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var job = args.Required("--job");
        var cluster = ClusterSpec.Parse(args.String("--cluster", ClusterSpec.Default.ToString()));
        if (cluster.IsLocal) throw new UserInputException("--cluster local keeps no checkpoints: resume a job on the cluster it ran on");
        if (args.Has("--checkpoint-dir") && cluster.Kind != ClusterSpec.Embedded)
            throw new UserInputException($"--checkpoint-dir applies to embedded clusters; with --cluster {cluster} give it to the silos ('Trainer.Silo --checkpoint-dir')");
        var outDir = args.String("--out") ?? TrainRequest.NewOut();
        RunOutput.CheckTarget(outDir);

        using var telemetry = CommonOptions.StartTelemetry(args);
        using var metrics = CommonOptions.ServeMetrics(args);
        using var dashboard = CommonOptions.ServeDashboard(args);
        var started = DateTime.UtcNow;
        await using var connection = await ClusterConnection.ConnectAsync(cluster, args.String("--checkpoint-dir"), TimeSpan.FromSeconds(TrainRequest.DefaultStepTimeoutSeconds),
            cancellation: cancellation, tls: CommonOptions.Tls(args), warn: output.WriteLine);
        var silos = await connection.CountSilosAsync();
        var (resumed, resume) = await ClusterJob.ResumeAsync(connection.Grains, job, output, connection.Prove);
        if (resume.Note is { } note) output.WriteLine($"warning: {note}");
        output.WriteLine($"job {job} resumed at epoch {resume.Epoch}, step {resume.Step} ({resume.CompletedEpochs} epochs complete)");

        // progress.json for trainer dashboard: the epochs from here on (the earlier ones are in the checkpoint, not in this folder)
        var file = new ProgressFile(new ConsoleProgress(output, resumed.Spec.Options.AutoBatch is null ? resumed.Spec.Options.Batch : 0), outDir, job, resumed.Spec.Data);
        ITrainingObserver progress = file;
        if (dashboard is not null)
        {
            output.WriteLine($"dashboard {dashboard.Url}");
            progress = new DashboardProgress(progress, dashboard.Board, job);
        }
        var resumeLine = ResumeLine.For(job, cluster, args.String("--checkpoint-dir"), CommonOptions.Tls(args));
        JobRun run;
        try
        {
            run = await TrainRun.FollowAsync(resumed, cluster, silos, resume, progress, output, resumeLine, cancellation, file);
        }
        catch (Exception e)
        {
            file.Ended(ProgressFile.StatusOf(e));
            throw;
        }
        RunResults.Write(outDir, job, resumed.Spec.Data, resumed.Spec.Options, run, started, output);
        file.Finished();
        return ExitCode.Done;
    }
}
