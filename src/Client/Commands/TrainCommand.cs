using Trainer.Client.CommandLine;
using Trainer.Client.Output;
using Trainer.Core;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;

namespace Trainer.Client.Commands;

/// <summary><c>trainer train</c>: load and split the data, train, write report.json, model.json and curves.png.</summary>
public static class TrainCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model", "linreg|logreg|softmax|perceptron|svm|mlp (default mlp)", "KIND"),
        new("--hidden", "MLP hidden widths, e.g. 256 or 256,128 (default 256)", "W[,W...]"),
        new("--activation", "MLP activation relu|tanh|sigmoid (default relu)", "NAME"),
        new("--data", "built-in digits (default), breast-cancer, diabetes, fashion-mnist; or a .csv/.csv.gz/.libsvm/.svm file or IDX folder", "NAME|PATH"),
        new("--test", "held-out test set (file or IDX folder); fashion-mnist brings its t10k files", "NAME|PATH"),
        new("--label-column", "CSV label column (default: the last)", "NAME"),
        new("--features", "LibSVM feature count (default: the largest index)", "N"),
        new("--val-fraction", "validation share of the training data (default 0.1; 0 turns validation and early stopping off)", "F"),
        new("--test-fraction", "test share held out when the data has no test part (default 0.2)", "F"),
        new("--epochs", "epochs (default 20)", "N"),
        new("--batch", "global mini-batch size (default 64)", "B"),
        new("--lr", "learning rate (default 0.05)", "X"),
        new("--momentum", "momentum (default 0.9; 0 for plain SGD)", "M"),
        new("--nesterov", "Nesterov momentum"),
        new("--weight-decay", "L2 weight decay on weights (default 0; svm 1e-4, its λ)", "L"),
        new("--schedule", "learning-rate schedule constant|step|cosine (default constant)", "NAME"),
        new("--warmup-epochs", "linear warm-up epochs (default 0)", "K"),
        new("--patience", "early-stopping patience in epochs (default 5; 0 = never stop early)", "P"),
        new("--min-delta", "smallest validation improvement that counts (default 0)", "D"),
        new("--seed", "random seed (default 42)", "S"),
        new("--partitions", "data partitions, fixed for the job (default 8, at most --batch)", "P"),
        new("--threads", "compute threads (default: all cores)", "T"),
        new("--kernel", "auto|openblas|managed (default auto: OpenBLAS when installed)", "NAME"),
        new("--cluster", "local: the single-process reference trainer (default)", "SPEC"),
        new("--job", "name of the job (default: generated)", "ID"),
        new("--out", "output folder (default runs/<time-stamp>)", "DIR"),
    ];

    public static Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var cluster = args.String("--cluster", "local");
        if (cluster != "local")
            throw new UserInputException($"--cluster '{cluster}': this build trains with --cluster local only");

        var model = args.Choice("--model", ModelSpec.Mlp, ModelSpec.Kinds);
        var options = ReadOptions(args, model);
        var spec = new DataSpec(
            Data: args.String("--data", "digits"),
            Test: args.String("--test"),
            LabelColumn: args.String("--label-column"),
            Features: args.Has("--features") ? args.Int("--features", 0, min: 1) : null,
            ValFraction: args.Double("--val-fraction", 0.1, 0, 0.9),
            TestFraction: args.Has("--test-fraction") ? args.Double("--test-fraction", 0.2, 0, 0.9) : null,
            Seed: options.Seed);
        var kernel = KernelChoice.Select(args.Choice("--kernel", "auto", KernelChoice.Names));
        var job = args.String("--job") ?? $"job-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        var outDir = args.String("--out") ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        RunOutput.CheckTarget(outDir);

        output.WriteLine($"job {job}");
        var started = DateTime.UtcNow;
        var data = DataLoader.Prepare(spec, ModelSpec.LabelRuleFor(model));
        if (!args.Has("--partitions")) options = options with { Partitions = Math.Min(options.Partitions, Math.Min(options.Batch, data.Train.Count)) };
        output.WriteLine(Describe(data, options, kernel));

        var progress = new ConsoleProgress(output);
        var result = new ReferenceTrainer(kernel, progress).Train(data, options, cancellation);
        var wallSeconds = (DateTime.UtcNow - started).TotalSeconds;

        var report = RunReport.From(job, spec, data, options, kernel, result, wallSeconds);
        var modelFile = new ModelFile(result.Network.Spec, data.Preprocessor, new DataOrigin(spec.Data, spec.LabelColumn, spec.Seed, data.TestFraction), result.Weights);
        new RunOutput(outDir)
            .Add("model.json", modelFile.ToBytes())
            .Add("curves.png", CurvesPlot.Render(report))
            .Add("report.json", report.ToJson())
            .Commit();

        output.WriteLine(Summary(result, outDir));
        return Task.FromResult(ExitCode.Done);
    }

    private static TrainOptions ReadOptions(ParsedArguments args, string model)
    {
        var defaults = new TrainOptions();
        var hidden = args.IntList("--hidden", defaults.Hidden);
        if (model != ModelSpec.Mlp && (args.Has("--hidden") || args.Has("--activation")))
            throw new UserInputException($"--hidden and --activation shape an MLP; --model {model} has no hidden layers");
        return defaults with
        {
            Model = model,
            Hidden = hidden,
            Activation = args.Choice("--activation", defaults.Activation, ModelSpec.Activations),
            Epochs = args.Int("--epochs", defaults.Epochs, min: 1),
            Batch = args.Int("--batch", defaults.Batch, min: 1),
            LearningRate = args.Double("--lr", defaults.LearningRate, min: 0, positive: true),
            Momentum = args.Double("--momentum", defaults.Momentum, 0, 0.999),
            Nesterov = args.Flag("--nesterov"),
            WeightDecay = args.Double("--weight-decay", model == ModelSpec.Svm ? 1e-4 : defaults.WeightDecay, min: 0),
            Schedule = args.Choice("--schedule", defaults.Schedule, LearningRateSchedule.Kinds),
            WarmupEpochs = args.Double("--warmup-epochs", defaults.WarmupEpochs, min: 0),
            Patience = args.Int("--patience", defaults.Patience, min: 0),
            MinDelta = args.Double("--min-delta", defaults.MinDelta, min: 0),
            Seed = args.ULong("--seed", defaults.Seed),
            Partitions = args.Int("--partitions", defaults.Partitions, min: 1),
            Threads = args.Int("--threads", defaults.Threads, min: 1, max: 1024),
        };
    }

    private static string Describe(PreparedData data, TrainOptions options, IKernel kernel)
    {
        var network = new Network(ReferenceTrainer.SpecFor(options, data));
        var sets = $"{data.Train.Count} train, {data.Validation?.Count ?? 0} validation, {data.Test?.Count ?? 0} test rows";
        return $"{network.Spec} ({network.ParameterCount:N0} parameters) on {data.Train.Name}: {sets}; " +
               $"batch {options.Batch} in {options.Partitions} partitions, kernel {kernel.Name}, {options.Threads} threads, cluster local";
    }

    private static string Summary(TrainingResult result, string outDir)
    {
        var test = result.Test is null ? "no test set" : $"test {result.Test}";
        return $"done: best epoch {result.BestEpoch}{(result.StoppedEarly ? " (stopped early)" : "")}, {test}, " +
               $"{result.SamplesPerSecond:N0} samples/s; wrote {outDir}/report.json, model.json, curves.png";
    }
}
