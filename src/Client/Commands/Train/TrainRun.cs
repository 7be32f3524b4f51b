using Trainer.Client.Cluster;
using Trainer.Client.Output;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Dashboard;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Train;

/// <summary>
/// Runs a <see cref="TrainRequest"/>: on the reference trainer (<c>--cluster local</c>) or on an
/// Orleans cluster, through the same training loop; then writes report.json, model.json and
/// curves.png, and prints the results. <c>train</c> and every run of <c>scale</c> come here.
/// </summary>
public static class TrainRun
{
    /// <param name="dashboard">--dashboard: the page's board hears the job's events too.</param>
    public static async Task<JobRun> RunAsync(TrainRequest request, TextWriter output, CancellationToken cancellation, DashboardServer? dashboard = null)
    {
        if (dashboard is not null) output.WriteLine($"dashboard {dashboard.Url}");
        var started = DateTime.UtcNow;
        var file = new ProgressFile(new ConsoleProgress(output, request.Options.AutoBatch is null ? request.Options.Batch : 0), request.Out, request.Job, request.Data);
        ITrainingObserver progress = file;
        if (dashboard is not null) progress = new DashboardProgress(progress, dashboard.Board, request.Job);
        JobRun run;
        var stopping = Task.CompletedTask;
        try
        {
            if (request.Cluster.IsLocal) run = await RunLocalAsync(request, progress, file, output, cancellation);
            else (run, stopping) = await RunOnClusterAsync(request, progress, file, output, cancellation);
        }
        catch (Exception e)
        {
            file.Ended(ProgressFile.StatusOf(e));
            dashboard?.Board.Ended(request.Job, JobStatus.Failed);
            throw;
        }
        dashboard?.Board.Ended(request.Job, JobStatus.Finished);
        try
        {
            RunResults.Write(request.Out, request.Job, request.Data, run.Options, run, started, output);
            file.Finished();
        }
        finally { await stopping; } // the results need nothing of the cluster: an embedded one stops meanwhile
        return run;
    }

    private static async Task<JobRun> RunLocalAsync(TrainRequest request, ITrainingObserver progress, ProgressFile file, TextWriter output, CancellationToken cancellation)
    {
        var options = request.Threads is { } threads ? request.Options with { Threads = threads } : request.Options;
        var kernel = KernelChoice.Select(request.Kernel);
        var data = DataLoader.Prepare(request.Data, ModelSpec.LabelRuleFor(options.Model, options.Task));
        var run = new JobRun(null!, options, data.Train.Name, data.Train.Count, data.Validation?.Count ?? 0, data.Test?.Count ?? 0, data.Preprocessor, data.TestFraction,
            kernel.Name, "local", Silos: 0, Workers: 1, JobMode.Sync, options.Partitions, options.Threads, null, []) { ClassNames = data.ClassNames, MissingMeans = data.Train.MissingMeans, KernelIdentity = kernel.Identity };
        var network = new Network(ReferenceTrainer.SpecFor(options, data));
        output.WriteLine($"job {request.Job}");
        output.WriteLine(run.Describe(network));
        file.Placed(run, network.Spec.ToString());
        (progress as DashboardProgress)?.Placed(network.Spec.ToString(), "local", options.Epochs, "local (no cluster)", []);
        return run with { Result = await new ReferenceTrainer(kernel, progress).TrainAsync(data, options, cancellation) };
    }

    /// <summary>The job on its cluster, and the connection's closing (an embedded cluster's stop), begun once the job has finished.</summary>
    private static async Task<(JobRun Run, Task Stopping)> RunOnClusterAsync(TrainRequest request, ITrainingObserver progress, ProgressFile file, TextWriter output, CancellationToken cancellation)
    {
        var connection = await ClusterConnection.ConnectAsync(request.Cluster, request.CheckpointDir,
            TimeSpan.FromSeconds(request.StepTimeoutSeconds ?? TrainRequest.DefaultStepTimeoutSeconds), cancellation: cancellation, tls: request.Tls, warn: output.WriteLine);
        try
        {
            var run = await RunJobAsync(connection, request, progress, file, output, cancellation);
            return (run, connection.DisposeAsync().AsTask());
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<JobRun> RunJobAsync(ClusterConnection connection, TrainRequest request, ITrainingObserver progress, ProgressFile file, TextWriter output, CancellationToken cancellation)
    {
        var silos = await connection.CountSilosAsync();
        var resumeLine = ResumeLine.For(request.Job, request.Cluster, request.CheckpointDir, request.Tls);
        ClusterJob job;
        try
        {
            job = await ClusterJob.StartAsync(connection.Grains, request.ToJob(silos), output, connection.Prove);
        }
        catch (JobFaultException e) // this job's checkpoint exists already: the refusal names the command that continues it
        {
            throw new JobFaultException(e.Kind, ResumeHint.Complete(e.Message, request.Job, resumeLine));
        }
        output.WriteLine($"job {request.Job}"); // once the cluster has taken it: a refused job never existed
        return await FollowAsync(job, request.Cluster, silos, null, progress, output, resumeLine, cancellation, file);
    }

    /// <summary>
    /// Follows a started or resumed job to its end. The job's checkpoint is deleted only when the job
    /// has finished: after a failure or Ctrl-C it stays for 'trainer resume', whose command a job that
    /// lost its checkpoint store, or was cancelled, is told: <paramref name="resumeLine"/>, the one that works from this trainer.
    /// <paramref name="file"/>: the run's progress.json, told what the job is once it is placed.
    /// </summary>
    public static async Task<JobRun> FollowAsync(ClusterJob job, ClusterSpec cluster, int silos, ResumeInfo? resume,
        ITrainingObserver progress, TextWriter output, string resumeLine, CancellationToken cancellation, ProgressFile? file = null)
    {
        var (info, spec) = (job.Info, job.Spec);
        var run = new JobRun(null!, spec.Options, info.Data.Name, info.Data.TrainRows, info.Data.ValidationRows, info.Data.TestRows, info.Data.Preprocessor,
            info.Data.TestFraction, info.Data.Kernel, cluster.ToString(), silos, info.Workers.Length, spec.Mode, info.Partitions, spec.Options.Threads,
            info.ParameterServerSilo, info.Workers.Select(w => w.Silo).ToArray())
        {
            ResumedAtStep = resume?.Step,
            PsShards = spec.PsShards,
            Staleness = spec.Staleness,
            AverageEvery = spec.AverageEvery,
            CheckpointEvery = spec.CheckpointEvery,
            StepTimeoutSeconds = spec.StepTimeoutSeconds,
            Rebalance = spec.Rebalance,
            Wire = spec.Wire,
            ClassNames = info.Data.ClassNames,
            MissingMeans = info.Data.MissingMeans,
            KernelIdentity = info.Data.KernelIdentity,
        };
        output.WriteLine(run.Describe(job.Network));
        file?.Placed(run, job.Network.Spec.ToString());
        (progress as DashboardProgress)?.Placed(job.Network.Spec.ToString(), spec.Mode, spec.Options.Epochs, info.ParameterServerSilo, run.WorkerSilos);
        TrainingResult result;
        try
        {
            result = await job.RunAsync(progress, cancellation);
        }
        catch (JobFaultException e) when (e.Kind == JobFaultException.StoreLost)
        {
            throw new ClusterUnreachableException(ResumeHint.Complete(e.Message, spec.Job, resumeLine), e);
        }
        catch (JobFaultException e) when (e.Kind == JobFaultException.Cancelled)
        {
            throw new JobFaultException(e.Kind, ResumeHint.Complete(e.Message, spec.Job, resumeLine));
        }
        if (await job.FinishAsync() is { } warning) output.WriteLine($"warning: {ResumeHint.Complete(warning, spec.Job, resumeLine)}");
        // the cluster may have grown or shrunk since the job started: the report's workers are the last epoch's
        return run with { Result = result, Recoveries = job.Recoveries, Workers = result.Epochs.LastOrDefault()?.Stats.Workers ?? run.Workers };
    }
}

/// <summary>A finished training run and where it ran: what the report and the model file are made of.</summary>
public sealed record JobRun(
    TrainingResult Result, TrainOptions Options, string Dataset, int TrainRows, int ValidationRows, int TestRows, Preprocessor Preprocessor, double TestFraction,
    string Kernel, string Cluster, int Silos, int Workers, string Mode, int Partitions, int Threads, string? ParameterServerSilo, string[] WorkerSilos)
{
    /// <summary>Set when the job was continued by 'trainer resume': the step its checkpoint held.</summary>
    public long? ResumedAtStep { get; init; }
    /// <summary>How often the parameter server was lost and resumed from its checkpoint during the run.</summary>
    public int Recoveries { get; init; }
    /// <summary>The grains the parameter vector is split over (1: the parameter server holds it all).</summary>
    public int PsShards { get; init; } = 1;
    /// <summary>A cluster job's fault tolerance and SSP bound, as it ran.</summary>
    public int Staleness { get; init; }
    public int AverageEvery { get; init; }
    public int CheckpointEvery { get; init; }
    public double StepTimeoutSeconds { get; init; }
    /// <summary>Sync mode: whether the partitions were cut again by the workers' speeds (--rebalance).</summary>
    public bool Rebalance { get; init; }
    /// <summary>How the workers' gradient sums travelled (--wire).</summary>
    public string Wire { get; init; } = JobWire.Float32;
    /// <summary>The classes' names when the data named them.</summary>
    public string[]? ClassNames { get; init; }
    /// <summary>The training file's column means, when --missing mean filled its missing cells with them.</summary>
    public double[]? MissingMeans { get; init; }
    /// <summary>What the bits depend on: the kernel's library, version, core type and vector width.</summary>
    public string KernelIdentity { get; init; } = "";

    /// <summary>The line that opens a run: the model, the data, and where it trains.</summary>
    public string Describe(Network network)
    {
        var sets = $"{TrainRows} train, {ValidationRows} validation, {TestRows} test rows";
        var where = Cluster == "local"
            ? "cluster local"
            : $"cluster {Cluster} ({Silos} silo{(Silos == 1 ? "" : "s")}), {Workers} worker{(Workers == 1 ? "" : "s")}, mode {Mode}" +
              (Mode == JobMode.LocalSgd ? $" (averaged every {AverageEvery} steps)" : "") +
              (PsShards > 1 ? $", {PsShards} parameter-server shards" : "") + (Wire != JobWire.Float32 ? $", wire {Wire}" : "");
        return $"{network.Spec} ({network.ParameterCount:N0} parameters) on {Dataset}: {sets}; " +
               $"{(Options.AutoBatch is null ? $"batch {Options.Batch}" : $"batch auto from {Options.Batch}")} in {Partitions} partitions, kernel {KernelIdentity}, {Threads} thread{(Threads == 1 ? "" : "s")}{(Cluster == "local" ? "" : " per worker")}, {where}";
    }
}
