using Trainer.Client.Cluster;
using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.Core;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands;

/// <summary>
/// <c>trainer train</c>: train on the reference trainer (<c>--cluster local</c>) or on an Orleans
/// cluster, through the same training loop; write report.json, model.json and curves.png.
/// </summary>
public static class TrainCommand
{
    /// <summary>Mutual TLS to silo processes; every command that connects to a cluster takes these.</summary>
    public static IReadOnlyList<OptionInfo> TlsOptions { get; } =
    [
        new("--tls-certificate", "mutual TLS: this process's certificate, a .pfx/.p12 (with --tls-password) or PEM with its key", "FILE"),
        new("--tls-password", "the PKCS#12 file's password (or $TRAINER_TLS_PASSWORD)", "TEXT"),
        new("--tls-store-subject", "mutual TLS: a certificate from the CurrentUser\\My store by subject name, instead of a file", "NAME"),
        new("--tls-ca", "the cluster's CA certificate (PEM or DER): peers must chain to it (default: the system's trusted roots)", "FILE"),
    ];

    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model", "linreg|logreg|softmax|perceptron|svm|mlp (default mlp)", "KIND"),
        new("--hidden", "MLP hidden widths, e.g. 256 or 256,128 (default 256)", "W[,W...]"),
        new("--activation", "MLP activation relu|tanh|sigmoid (default relu)", "NAME"),
        new("--task", "classification|regression: what an MLP learns (default: a built-in data set's own, else classification)", "TASK"),
        new("--data", "built-in digits (default), breast-cancer, diabetes, fashion-mnist; or a .csv/.csv.gz/.libsvm/.svm file or IDX folder", "NAME|PATH"),
        new("--test", "held-out test set (file or IDX folder); fashion-mnist brings its t10k files", "NAME|PATH"),
        new("--label-column", "CSV label column (default: the last); its values may be numbers or class names", "NAME"),
        new("--delimiter", "field delimiter of a delimited text file: one character such as ; or |, or tab (default: comma; tab for .tsv)", "CHAR"),
        new("--features", "LibSVM feature count (default: the largest index)", "N"),
        new("--val-fraction", "validation share of the training data (default 0.1; 0 turns validation and early stopping off)", "F"),
        new("--test-fraction", "test share held out when the data has no test part (default 0.2)", "F"),
        new("--epochs", "epochs (default 20)", "N"),
        new("--batch", "global mini-batch size (default 64)", "B"),
        new("--lr", "learning rate (default 0.05; a regression MLP 0.001)", "X"),
        new("--momentum", "momentum (default 0.9; 0 for plain SGD)", "M"),
        new("--nesterov", "Nesterov momentum"),
        new("--weight-decay", "L2 weight decay on weights (default 0; svm 1e-4, its λ)", "L"),
        new("--optimizer", "sgd (default) | lars: layer-wise trust ratio for large batches (You et al. 2017)", "NAME"),
        new("--trust-coefficient", "lars: its η, how far a layer moves relative to its norm (default 0.001)", "ETA"),
        new("--lr-scaling", "none (default) | linear | sqrt: --lr is for --base-batch, scaled to --batch", "RULE"),
        new("--base-batch", "the batch --lr is given for when --lr-scaling scales it (default 256)", "B"),
        new("--schedule", "learning-rate schedule constant|step|cosine (default constant)", "NAME"),
        new("--warmup-epochs", "linear warm-up epochs (default 0)", "K"),
        new("--patience", "early stopping: epochs without improvement before stopping (default 10; off when the validation set has under 50 rows; 0 = never stop early)", "P"),
        new("--monitor", "early stopping watches the validation loss (default) or accuracy", "loss|accuracy"),
        new("--target", "stop at the first epoch whose validation accuracy (R² for regression) reaches this; the report gives steps and seconds to it", "ACC"),
        new("--past-target", "with --target: note when it is reached but train on to --epochs"),
        new("--min-delta", "smallest validation improvement that counts (default 0)", "D"),
        new("--seed", "random seed (default 42)", "S"),
        new("--partitions", "data partitions, fixed for the job (default 8, at most --batch)", "P"),
        new("--workers", "worker grains (default: one per silo, at most one per partition); at most --partitions", "W"),
        new("--mode", "sync (default: bit-identical to --cluster local) | async | ssp", "MODE"),
        new("--staleness", "ssp: how many steps a worker may run ahead of the slowest (default 2)", "S"),
        new("--ps-shards", "parameter-server shards: the parameters split into N key ranges, each held by its own grain (sync mode; default 1)", "N"),
        new("--threads", "compute threads per worker (default: cores / workers; local: all cores)", "T"),
        new("--kernel", "auto|openblas|managed (default auto: OpenBLAS when installed)", "NAME"),
        new("--cluster", "embedded[:N] (default embedded:2) | local | localhost:PORT[,PORT...] | redis://HOST:PORT", "SPEC"),
        new("--checkpoint-every", "also checkpoint every N steps (default 0: at every epoch end only)", "N"),
        new("--step-timeout", "seconds a step may take before its work is retried on fresh workers (default 10)", "S"),
        new("--checkpoint-dir", "embedded clusters: checkpoint folder (default $TRAINER_CHECKPOINTS or ~/.local/share/trainer/checkpoints)", "DIR"),
        .. TlsOptions,
        new("--telemetry", "none (default) | console | otlp: OpenTelemetry spans (epoch, step, gradient, Orleans calls) and the Trainer meter", "KIND"),
        new("--otlp-endpoint", "with --telemetry otlp: the collector (default $OTEL_EXPORTER_OTLP_ENDPOINT or http://localhost:4317)", "URI"),
        new("--job", "name of the job (default: generated)", "ID"),
        new("--out", "output folder (default runs/<time-stamp>)", "DIR"),
    ];

    /// <summary>The TLS options as given, or null without them.</summary>
    internal static TlsSettings? Tls(ParsedArguments args) =>
        TlsSettings.From(name => args.String(name) ?? (name == "--tls-password" ? Environment.GetEnvironmentVariable("TRAINER_TLS_PASSWORD") : null));

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var cluster = ClusterSpec.Parse(args.String("--cluster", ClusterSpec.Default.ToString()));
        var model = args.Choice("--model", ModelSpec.Mlp, ModelSpec.Kinds);
        var options = ReadOptions(args, model);
        ModelSpec.LabelRuleFor(model, options.Task); // a task the model cannot do is an error before anything starts
        if (args.String("--delimiter") is { } delimiter) CsvRecords.Delimiter(delimiter, "");
        var spec = new DataSpec(
            Data: args.String("--data", "digits"),
            Test: args.String("--test"),
            LabelColumn: args.String("--label-column"),
            Features: args.Has("--features") ? args.Int("--features", 0, min: 1) : null,
            ValFraction: args.Double("--val-fraction", 0.1, 0, 0.9),
            TestFraction: args.Has("--test-fraction") ? args.Double("--test-fraction", 0.2, 0, 0.9) : null,
            Seed: options.Seed,
            Delimiter: args.String("--delimiter"));
        if (options.Target is not null && spec.ValFraction == 0)
            throw new UserInputException("--target is a validation accuracy: it needs --val-fraction above 0");
        var kernel = args.Choice("--kernel", "auto", KernelChoice.Names);
        var mode = args.Choice("--mode", ParameterServerGrain.Sync, [ParameterServerGrain.Sync, ParameterServerGrain.Async, ParameterServerGrain.Ssp]);
        var staleness = args.Int("--staleness", 2, min: 0);
        var checkpointEvery = args.Int("--checkpoint-every", 0, min: 0);
        var stepTimeout = args.Double("--step-timeout", 10, min: 0, positive: true);
        if (cluster.IsLocal && (args.Has("--workers") || mode != ParameterServerGrain.Sync || args.Has("--checkpoint-every") || args.Has("--step-timeout")))
            throw new UserInputException("--workers, --mode, --checkpoint-every and --step-timeout need a cluster: --cluster local is the single-process trainer");
        var shards = args.Int("--ps-shards", 1, min: 1);
        if (cluster.IsLocal && args.Has("--ps-shards"))
            throw new UserInputException("--ps-shards splits a cluster's parameter server: --cluster local has none");
        if (shards > 1 && mode != ParameterServerGrain.Sync)
            throw new UserInputException($"--ps-shards {shards} works with --mode sync; this job's mode is {mode}");
        if (args.Has("--staleness") && mode != ParameterServerGrain.Ssp)
            throw new UserInputException($"--staleness bounds --mode ssp; this job's mode is {mode}");
        CheckCheckpointDir(args, cluster);
        var tls = Tls(args);
        ClusterConnection.CheckTls(cluster, tls); // before any output: the local trainer never connects
        var job = args.String("--job") ?? $"job-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        var outDir = args.String("--out") ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        RunOutput.CheckTarget(outDir);

        using var telemetry = StartTelemetry(args);
        output.WriteLine($"job {job}");
        var started = DateTime.UtcNow;
        var progress = new ConsoleProgress(output, options.Batch);
        var run = cluster.IsLocal
            ? await RunLocalAsync(spec, options, KernelChoice.Select(kernel), progress, output, cancellation)
            : await RunOnClusterAsync(cluster, new JobSpec(job, spec, options, mode, 0, staleness, kernel, checkpointEvery, stepTimeout, shards, JobSpec.ThisProcess), args, tls, progress, output, cancellation);
        WriteOutputs(outDir, job, spec, options, run, started, output);
        return ExitCode.Done;
    }

    /// <summary>--telemetry and --otlp-endpoint; started before any cluster so that Orleans's spans are heard too.</summary>
    internal static TelemetrySetup StartTelemetry(ParsedArguments args)
    {
        var kind = args.Choice("--telemetry", TelemetrySetup.None, TelemetrySetup.Kinds);
        if (args.Has("--otlp-endpoint") && kind != TelemetrySetup.Otlp)
            throw new UserInputException($"--otlp-endpoint is where --telemetry otlp sends; this run's telemetry is {kind}");
        var endpoint = args.String("--otlp-endpoint") ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } env ? env : null);
        return TelemetrySetup.Start(kind, endpoint, "trainer");
    }

    /// <summary>--checkpoint-dir is where an embedded cluster keeps checkpoints; silo processes are given their own.</summary>
    internal static void CheckCheckpointDir(ParsedArguments args, ClusterSpec cluster)
    {
        if (args.Has("--checkpoint-dir") && cluster.Kind != ClusterSpec.Embedded)
            throw new UserInputException($"--checkpoint-dir applies to embedded clusters; with --cluster {cluster} give it to the silos ('Trainer.Silo --checkpoint-dir')");
    }

    /// <summary>report.json, model.json and curves.png of a finished run, and the closing line.</summary>
    internal static void WriteOutputs(string outDir, string job, DataSpec spec, TrainOptions options, JobRun run, DateTime started, TextWriter output)
    {
        var report = RunReport.From(job, spec, options, run, (DateTime.UtcNow - started).TotalSeconds);
        var modelFile = new ModelFile(run.Result.Network.Spec, run.Preprocessor, new DataOrigin(spec.Data, spec.LabelColumn, spec.Seed, run.TestFraction, spec.Delimiter, spec.Test),
            run.Result.Weights, run.ClassNames);
        new RunOutput(outDir)
            .Add("model.json", modelFile.ToBytes())
            .Add("curves.png", CurvesPlot.Render(report))
            .Add("report.json", report.ToJson())
            .Commit();
        output.Write(ResultsTable.Render(report));
        output.WriteLine(Summary(run.Result, outDir));
    }

    private static async Task<JobRun> RunLocalAsync(DataSpec spec, TrainOptions options, IKernel kernel, ITrainingObserver progress, TextWriter output, CancellationToken cancellation)
    {
        var data = DataLoader.Prepare(spec, ModelSpec.LabelRuleFor(options.Model, options.Task));
        var run = new JobRun(null!, data.Train.Name, data.Train.Count, data.Validation?.Count ?? 0, data.Test?.Count ?? 0, data.Preprocessor, data.TestFraction,
            kernel.Name, "local", Silos: 0, Workers: 1, ParameterServerGrain.Sync, options.Partitions, options.Threads, null, []) { ClassNames = data.ClassNames };
        output.WriteLine(Describe(new Network(ReferenceTrainer.SpecFor(options, data)), run, options));
        return run with { Result = await new ReferenceTrainer(kernel, progress).TrainAsync(data, options, cancellation) };
    }

    private static async Task<JobRun> RunOnClusterAsync(ClusterSpec cluster, JobSpec job, ParsedArguments args, TlsSettings? tls, ITrainingObserver progress, TextWriter output, CancellationToken cancellation)
    {
        await using var connection = await ClusterConnection.ConnectAsync(cluster, args.String("--checkpoint-dir"), TimeSpan.FromSeconds(job.StepTimeoutSeconds), cancellation: cancellation, tls: tls);
        var silos = await connection.CountSilosAsync();
        var workers = args.Int("--workers", Math.Min(silos, job.Options.Partitions), min: 1, max: job.Options.Partitions); // no worker without a partition
        var threads = args.Int("--threads", Math.Max(1, Environment.ProcessorCount / workers), min: 1, max: 1024);
        job = job with { Workers = workers, Options = job.Options with { Threads = threads } };
        var runner = await ClusterEpochRunner.StartAsync(connection.Grains, job, output);
        return await TrainOnClusterAsync(runner, cluster, silos, null, progress, output, cancellation);
    }

    /// <summary>
    /// The training loop on a started or resumed job. The job's checkpoint is deleted only when the
    /// job has finished: after a failure or Ctrl-C it stays for 'trainer resume'.
    /// </summary>
    internal static async Task<JobRun> TrainOnClusterAsync(ClusterEpochRunner runner, ClusterSpec cluster, int silos, ResumeInfo? resume,
        ITrainingObserver progress, TextWriter output, CancellationToken cancellation)
    {
        var (info, job) = (runner.Info, runner.Spec);
        var run = new JobRun(null!, info.Data.Name, info.Data.TrainRows, info.Data.ValidationRows, info.Data.TestRows, info.Data.Preprocessor, info.Data.TestFraction,
            info.Data.Kernel, cluster.ToString(), silos, job.Workers, job.Mode, info.Partitions, job.Options.Threads, info.ParameterServerSilo, info.Workers.Select(w => w.Silo).ToArray())
        {
            ResumedAtStep = resume?.Step,
            PsShards = job.PsShards,
            ClassNames = info.Data.ClassNames,
        };
        output.WriteLine(Describe(runner.Network, run, job.Options));
        var result = await TrainingLoop.RunAsync(runner, job.Options, info.Data.ValidationRows, info.Data.TestRows > 0, progress, cancellation,
            resume?.Loop, resume?.BestWeights?.Values, job.Job);
        await runner.FinishAsync();
        return run with { Result = result, Recoveries = runner.Recoveries };
    }

    private static TrainOptions ReadOptions(ParsedArguments args, string model)
    {
        var defaults = new TrainOptions();
        var hidden = args.IntList("--hidden", defaults.Hidden);
        if (model != ModelSpec.Mlp && (args.Has("--hidden") || args.Has("--activation")))
            throw new UserInputException($"--hidden and --activation shape an MLP; --model {model} has no hidden layers");
        var batch = args.Int("--batch", defaults.Batch, min: 1);
        var task = args.String("--task") ?? (model == ModelSpec.Mlp ? BuiltInDatasets.TaskOf(args.String("--data", "digits")) : null);
        var optimizer = args.Choice("--optimizer", defaults.Optimizer, Optimizer.Kinds);
        if (args.Has("--trust-coefficient") && optimizer != Optimizer.Lars)
            throw new UserInputException($"--trust-coefficient is LARS's; this job's optimizer is {optimizer} (add --optimizer lars)");
        var scaling = args.Choice("--lr-scaling", defaults.LrScaling, LearningRateScaling.Kinds);
        if (args.Has("--past-target") && !args.Has("--target"))
            throw new UserInputException("--past-target goes with --target: there is no target to train past");
        if (args.Has("--base-batch") && scaling == LearningRateScaling.None)
            throw new UserInputException("--base-batch is the batch --lr is given for under --lr-scaling linear|sqrt; this job does not scale it");
        return defaults with
        {
            Optimizer = optimizer,
            TrustCoefficient = args.Double("--trust-coefficient", defaults.TrustCoefficient, min: 0, positive: true),
            LrScaling = scaling,
            BaseBatch = args.Int("--base-batch", defaults.BaseBatch, min: 1),
            Model = model,
            Hidden = hidden,
            Activation = args.Choice("--activation", defaults.Activation, ModelSpec.Activations),
            Task = task,
            Epochs = args.Int("--epochs", defaults.Epochs, min: 1),
            Batch = batch,
            LearningRate = args.Double("--lr", task == ModelSpec.Regression ? RegressionMlpLearningRate : defaults.LearningRate, min: 0, positive: true),
            Momentum = args.Double("--momentum", defaults.Momentum, 0, 0.999),
            Nesterov = args.Flag("--nesterov"),
            WeightDecay = args.Double("--weight-decay", model == ModelSpec.Svm ? 1e-4 : defaults.WeightDecay, min: 0),
            Schedule = args.Choice("--schedule", defaults.Schedule, LearningRateSchedule.Kinds),
            WarmupEpochs = args.Double("--warmup-epochs", defaults.WarmupEpochs, min: 0),
            Patience = args.Has("--patience") ? args.Int("--patience", 0, min: 0) : null,
            Monitor = MonitorFor(args, model),
            Target = args.Has("--target") ? args.Double("--target", 0, 0, 1, positive: true) : null,
            StopAtTarget = !args.Flag("--past-target"),
            MinDelta = args.Double("--min-delta", defaults.MinDelta, min: 0),
            Seed = args.ULong("--seed", defaults.Seed),
            Partitions = args.Has("--partitions") ? args.Int("--partitions", defaults.Partitions, min: 1) : Math.Min(defaults.Partitions, batch),
            Threads = args.Int("--threads", defaults.Threads, min: 1, max: 1024),
        };
    }

    /// <summary>
    /// A regression MLP's default step: the squared loss does not saturate as cross-entropy does, and a
    /// 256-wide hidden layer puts the output layer's curvature near its width, so 0.05 with momentum
    /// diverges on the standardised target; 0.001 converges (diabetes: R² 0.44, where 0.01 gives 0.38).
    /// </summary>
    private const double RegressionMlpLearningRate = 0.001;

    /// <summary>--monitor: regression has only the loss to watch.</summary>
    private static string MonitorFor(ParsedArguments args, string model)
    {
        var monitor = args.Choice("--monitor", EarlyStoppingPolicy.Loss, EarlyStoppingPolicy.Monitors);
        if (monitor == EarlyStoppingPolicy.Accuracy && model == ModelSpec.LinearRegression)
            throw new UserInputException("--monitor accuracy: linear regression has no accuracy; early stopping watches its validation loss");
        return monitor;
    }

    private static string Describe(Network network, JobRun run, TrainOptions options)
    {
        var sets = $"{run.TrainRows} train, {run.ValidationRows} validation, {run.TestRows} test rows";
        var where = run.Cluster == "local"
            ? "cluster local"
            : $"cluster {run.Cluster} ({run.Silos} silo{(run.Silos == 1 ? "" : "s")}), {run.Workers} worker{(run.Workers == 1 ? "" : "s")}, mode {run.Mode}" +
              (run.PsShards > 1 ? $", {run.PsShards} parameter-server shards" : "");
        return $"{network.Spec} ({network.ParameterCount:N0} parameters) on {run.Dataset}: {sets}; " +
               $"batch {options.Batch} in {run.Partitions} partitions, kernel {run.Kernel}, {run.Threads} thread{(run.Threads == 1 ? "" : "s")}{(run.Cluster == "local" ? "" : " per worker")}, {where}";
    }

    private static string Summary(TrainingResult result, string outDir)
    {
        var test = result.Test is null ? "no test set" : $"test {result.Test}";
        var target = result.TargetEpoch is { } reached ? $", target reached at epoch {reached}" : "";
        return $"done: best epoch {result.BestEpoch}{(result.StoppedEarly ? " (stopped early)" : "")}{target}, {test}, " +
               $"{result.SamplesPerSecond:N0} samples/s; wrote {outDir}/report.json, model.json, curves.png";
    }
}

/// <summary>A finished training run and where it ran: what the report and the model file are made of.</summary>
public sealed record JobRun(
    TrainingResult Result, string Dataset, int TrainRows, int ValidationRows, int TestRows, Preprocessor Preprocessor, double TestFraction,
    string Kernel, string Cluster, int Silos, int Workers, string Mode, int Partitions, int Threads, string? ParameterServerSilo, string[] WorkerSilos)
{
    /// <summary>Set when the job was continued by 'trainer resume': the step its checkpoint held.</summary>
    public long? ResumedAtStep { get; init; }
    /// <summary>How often the parameter server was lost and resumed from its checkpoint during the run.</summary>
    public int Recoveries { get; init; }
    /// <summary>The grains the parameter vector is split over (1: the parameter server holds it all).</summary>
    public int PsShards { get; init; } = 1;
    /// <summary>The classes' names when the data named them.</summary>
    public string[]? ClassNames { get; init; }
}
