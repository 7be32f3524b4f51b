using System.Globalization;
using Trainer.Client.CommandLine;
using Trainer.Core;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Models.Layers;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Train;

/// <summary>train's options read into a <see cref="TrainRequest"/>: every value checked, every error one line naming its option.</summary>
public static class TrainArguments
{
    /// <summary>
    /// A regression MLP's default step: the squared loss does not saturate as cross-entropy does, and a
    /// 256-wide hidden layer puts the output layer's curvature near its width, so 0.05 with momentum
    /// diverges on the standardised target; 0.001 converges (diabetes: R² 0.44, where 0.01 gives 0.38).
    /// </summary>
    private const double RegressionMlpLearningRate = 0.001;

    /// <summary>train's command line: its options, and the ways train's options must go together.</summary>
    public static TrainRequest Read(ParsedArguments args)
    {
        if (args.Has("--trust-coefficient") && args.String("--optimizer") != Optimizer.Lars)
            throw new UserInputException($"--trust-coefficient is LARS's; this job's optimizer is {args.String("--optimizer", Optimizer.Sgd)} (add --optimizer lars)");
        if (args.Has("--past-target") && !args.Has("--target"))
            throw new UserInputException("--past-target goes with --target: there is no target to train past");
        if (args.Has("--base-batch") && args.String("--lr-scaling", LearningRateScaling.None) == LearningRateScaling.None)
            throw new UserInputException("--base-batch is the batch --lr is given for under --lr-scaling linear|sqrt; this job does not scale it");
        return ReadRequest(args).Validated();
    }

    /// <summary>The request the options describe (a sweep reads its shared options so, and sets each run's own).</summary>
    public static TrainRequest ReadRequest(ParsedArguments args)
    {
        var cluster = ClusterSpec.Parse(args.String("--cluster", ClusterSpec.Default.ToString()));
        if (cluster.IsLocal) args = args.Without(HowAClusterRanIt(args));
        var model = args.Choice("--model", ModelSpec.Mlp, ModelSpec.Kinds);
        var options = ReadOptions(args, model);
        ModelSpec.LabelRuleFor(model, options.Task); // a task the model cannot do is an error before anything starts
        if (args.String("--delimiter") is { } delimiter) CsvRecords.Delimiter(delimiter, "");
        var data = new DataSpec(
            Data: args.String("--data", "digits"),
            Test: args.String("--test"),
            LabelColumn: args.String("--label-column"),
            Features: args.Has("--features") ? args.Int("--features", 0, min: 1) : null,
            ValFraction: args.Double("--val-fraction", 0.1, 0, 0.9),
            TestFraction: args.Has("--test-fraction") ? args.Double("--test-fraction", 0.2, 0, 0.9) : null,
            Seed: options.Seed,
            Delimiter: args.String("--delimiter"),
            Missing: args.Has("--missing") ? args.Choice("--missing", MissingValues.Drop, MissingValues.Kinds) : null,
            IgnoreColumns: IgnoreColumns(args));
        return new TrainRequest(data, options, cluster, args.String("--job") ?? TrainRequest.NewJob(), args.String("--out") ?? TrainRequest.NewOut())
        {
            Kernel = args.Choice("--kernel", "auto", KernelChoice.Names),
            Mode = args.Choice("--mode", JobMode.Sync, JobMode.Kinds),
            Workers = Workers(args, options.Partitions),
            Threads = args.Has("--threads") ? args.Int("--threads", 0, min: 1, max: 1024) : null,
            Staleness = args.Has("--staleness") ? args.Int("--staleness", 0, min: 0) : null,
            AverageEvery = args.Has("--average-every") ? args.Int("--average-every", 0, min: 1) : null,
            CheckpointEvery = args.Has("--checkpoint-every") ? args.Int("--checkpoint-every", 0, min: 0) : null,
            StepTimeoutSeconds = args.Has("--step-timeout") ? args.Double("--step-timeout", 0, min: 0, positive: true) : null,
            PsShards = args.Int("--ps-shards", 1, min: 1),
            Rebalance = args.Has("--rebalance") ? args.Choice("--rebalance", TrainRequest.On, [TrainRequest.Off, TrainRequest.On]) == TrainRequest.On : null,
            Wire = args.Choice("--wire", JobWire.Float32, JobWire.Kinds),
            CheckpointDir = args.String("--checkpoint-dir"),
            Tls = CommonOptions.Tls(args),
        };
    }

    /// <summary>The hyper-parameters; every default is <see cref="TrainOptions"/>'s unless the model has its own.</summary>
    private static TrainOptions ReadOptions(ParsedArguments args, string model)
    {
        var defaults = new TrainOptions();
        var hidden = args.IntList("--hidden", defaults.Hidden);
        if (!ModelSpec.HasHiddenLayers(model) && (args.Has("--hidden") || args.Has("--activation")))
            throw new UserInputException($"--hidden and --activation shape an MLP; --model {model} has no hidden layers");
        if (!ModelSpec.HasHiddenLayers(model) && args.Has("--dropout"))
            throw new UserInputException($"--dropout drops hidden units; --model {model} has no hidden layers");
        if (model != ModelSpec.Mlp && args.Has("--hidden"))
            throw new UserInputException($"--hidden gives an MLP's widths; --model {model}'s layers are {(model == ModelSpec.Cnn ? "--layers" : "fixed")}");
        var auto = args.String("--batch") == AutoBatch;
        foreach (var option in AutoBatchOptions.Where(args.Has))
            if (!auto) throw new UserInputException($"{option} goes with --batch auto; this job's batch is fixed ({args.String("--batch", $"{defaults.Batch}")})");
        var partitions = args.Has("--partitions") ? args.Int("--partitions", defaults.Partitions, min: 1) : defaults.Partitions;
        (Core.Scaling.AutoBatchOptions Options, int Start)? adaptive = auto ? ReadAutoBatch(args, partitions) : null;
        if (!auto && args.String("--batch") is { } given && !int.TryParse(given, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            throw new UserInputException($"--batch '{given}': expected a whole number or {AutoBatch}");
        var batch = auto ? adaptive!.Value.Start : args.Int("--batch", defaults.Batch, min: 1);
        var task = args.String("--task") ?? (model == ModelSpec.Mlp ? BuiltInDatasets.TaskOf(args.String("--data", "digits")) : null);
        var optimizer = args.Choice("--optimizer", defaults.Optimizer, Optimizer.Kinds);
        var scaling = args.Choice("--lr-scaling", defaults.LrScaling, LearningRateScaling.Kinds);
        return defaults with
        {
            Optimizer = optimizer,
            TrustCoefficient = args.Double("--trust-coefficient", defaults.TrustCoefficient, min: 0, positive: true),
            LrScaling = scaling,
            BaseBatch = args.Int("--base-batch", defaults.BaseBatch, min: 1),
            Model = model,
            Hidden = hidden,
            Activation = args.Choice("--activation", defaults.Activation, ModelSpec.Activations),
            Dropout = args.Double("--dropout", 0, min: 0, max: 0.95),
            Layers = Layers(args, model),
            Pool = Convolutional(args, model, "--pool") ? args.Choice("--pool", defaults.Pool, PoolLayer.Kinds) : defaults.Pool,
            InputShape = Convolutional(args, model, "--input-shape") ? InputShape(args) : null,
            Task = task,
            Epochs = args.Int("--epochs", defaults.Epochs, min: 1),
            Batch = batch,
            AutoBatch = adaptive?.Options,
            LearningRate = args.Double("--lr", task == ModelSpec.Regression ? RegressionMlpLearningRate : defaults.LearningRate, min: 0, positive: true),
            Momentum = args.Double("--momentum", defaults.Momentum, 0, 0.999),
            Nesterov = args.Flag("--nesterov"),
            WeightDecay = args.Double("--weight-decay", model == ModelSpec.Svm ? 1e-4 : defaults.WeightDecay, min: 0),
            Schedule = args.Choice("--schedule", defaults.Schedule, LearningRateSchedule.Kinds),
            WarmupEpochs = args.Double("--warmup-epochs", defaults.WarmupEpochs, min: 0),
            Patience = args.Has("--patience") ? args.Int("--patience", 0, min: 0) : null,
            Monitor = Monitor(args, model),
            Target = args.Has("--target") ? args.Double("--target", 0, 0, 1, positive: true) : null,
            StopAtTarget = !args.Flag("--past-target"),
            MinDelta = args.Double("--min-delta", defaults.MinDelta, min: 0),
            Seed = args.ULong("--seed", defaults.Seed),
            Partitions = args.Has("--partitions") || auto ? partitions : Math.Min(defaults.Partitions, batch),
            Threads = args.Int("--threads", defaults.Threads, min: 1, max: 1024),
        };
    }

    /// <summary>--batch auto: the batch is decided at every epoch boundary (docs/scaling.md, "--batch auto").</summary>
    public const string AutoBatch = "auto";

    /// <summary>The options that shape --batch auto and mean nothing without it.</summary>
    public static IReadOnlyList<string> AutoBatchOptions { get; } = ["--batch-min", "--batch-max", "--batch-start", "--batch-cost", "--batch-schedule"];

    /// <summary>
    /// --batch auto's range, start, pinned cost and replayed schedule, checked as far as they can be
    /// before the data's size is known (the default --batch-max, and a bound above the training rows,
    /// are settled where the data is: <see cref="Core.Scaling.AutoBatchOptions.Resolve"/>).
    /// </summary>
    private static (Core.Scaling.AutoBatchOptions Options, int Start) ReadAutoBatch(ParsedArguments args, int partitions)
    {
        if (partitions < 2)
            throw new UserInputException($"--batch auto needs --partitions 2 or more: it decides by the noise scale, which compares the partitions' gradients (this job has {partitions})");
        var min = args.Int("--batch-min", Core.Scaling.AutoBatchOptions.DefaultMin(partitions), min: 1);
        if (min < partitions)
            throw new UserInputException($"--batch-min {min}: must be at least --partitions {partitions} (every partition needs a row per step)");
        var max = args.Has("--batch-max") ? args.Int("--batch-max", 0, min: 1) : 0;
        if (max > 0 && max < min) throw new UserInputException($"--batch-max {max}: must be at least --batch-min {min}");
        var start = args.Int("--batch-start", min, min: 1);
        if (start < min || (max > 0 && start > max))
            throw new UserInputException($"--batch-start {start}: must be within --batch-min {min} and --batch-max {(max > 0 ? $"{max}" : "(default)")}");
        return (new Core.Scaling.AutoBatchOptions
        {
            Min = min,
            Max = max,
            Cost = BatchCost(args),
            Replay = args.String("--batch-schedule") is { } path ? Core.Scaling.BatchSchedule.Read(path) : null,
            ReplayFile = args.String("--batch-schedule"),
        }, start);
    }

    /// <summary>--batch-cost A,B: a step's milliseconds as A + B·batch, both at least 0 and not both 0.</summary>
    private static Core.Scaling.StepCostFit? BatchCost(ParsedArguments args)
    {
        if (args.String("--batch-cost") is not { } text) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ||
            !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ||
            !double.IsFinite(a) || !double.IsFinite(b) || a < 0 || b < 0 || a + b <= 0)
            throw new UserInputException($"--batch-cost '{text}': expected A,B: a step's milliseconds as A + B·batch, both at least 0 and not both 0, e.g. 2.5,0.012");
        return new Core.Scaling.StepCostFit(a, b);
    }

    /// <summary>
    /// A cluster run's report (or a config) replayed on --cluster local: the options its file gives that
    /// say only how a cluster ran the job (workers, shards, checkpoints, step timeout, sync mode) are set
    /// aside, since the reference trainer computes the same weights without them. An async or SSP mode
    /// stays, and is refused: its weights are not the reference's.
    /// </summary>
    private static IEnumerable<string> HowAClusterRanIt(ParsedArguments args) =>
        new[] { "--workers", "--ps-shards", "--checkpoint-every", "--step-timeout", "--mode", "--rebalance" }
            .Where(name => args.FromConfigFile(name) && (name != "--mode" || args.String(name) == JobMode.Sync));

    /// <summary>--ignore-columns a,b: names, none empty; kept as given, comma-joined.</summary>
    private static string? IgnoreColumns(ParsedArguments args)
    {
        if (args.String("--ignore-columns") is not { } text) return null;
        var names = DataSpec.ColumnList(text);
        if (names.Length == 0 || names.Length != text.Split(',').Length)
            throw new UserInputException($"--ignore-columns '{text}': expected column names separated by commas, e.g. id,note");
        if (args.String("--label-column") is { } label && names.Contains(label))
            throw new UserInputException($"--ignore-columns '{label}': it is the label column (--label-column); a model needs its labels");
        return string.Join(',', names);
    }

    /// <summary>--workers W, or auto (null): as many as the cluster has silos when the job starts, at most the partitions.</summary>
    private static int? Workers(ParsedArguments args, int partitions) => args.String("--workers") switch
    {
        null or TrainRequest.AutoWorkers => null,
        var text when !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => throw new UserInputException($"--workers '{text}': expected a whole number or {TrainRequest.AutoWorkers}"),
        _ => args.Int("--workers", 0, min: 1, max: partitions),
    };

    /// <summary>Whether an option of the convolutional models is given; given for another model, it is an error.</summary>
    private static bool Convolutional(ParsedArguments args, string model, string option)
    {
        if (!args.Has(option)) return false;
        if (model is not (ModelSpec.LeNet or ModelSpec.Cnn))
            throw new UserInputException($"{option} is for the convolutional models (--model lenet or cnn); this job's model is {model}");
        return true;
    }

    /// <summary>--layers, which --model cnn needs and no other model takes; its form is checked here, its shapes when the data is known.</summary>
    private static string? Layers(ParsedArguments args, string model)
    {
        if (model != ModelSpec.Cnn)
            return args.Has("--layers") ? throw new UserInputException($"--layers lists --model cnn's layers; this job's model is {model}") : null;
        var text = args.String("--layers") ?? throw new UserInputException("--layers: --model cnn needs its layers, e.g. --layers conv5x5x32,pool2,conv5x5x64,pool2,dense1024");
        return string.Join(',', LayerPlan.Parse(text));
    }

    /// <summary>--input-shape C,H,W.</summary>
    private static int[] InputShape(ParsedArguments args)
    {
        var shape = args.IntList("--input-shape", []);
        return shape.Length == 3 ? shape : throw new UserInputException($"--input-shape '{args.String("--input-shape")}': expected C,H,W, e.g. 1,28,28");
    }

    /// <summary>--monitor: regression has only the loss to watch.</summary>
    private static string Monitor(ParsedArguments args, string model)
    {
        var monitor = args.Choice("--monitor", EarlyStoppingPolicy.Loss, EarlyStoppingPolicy.Monitors);
        if (monitor == EarlyStoppingPolicy.Accuracy && model == ModelSpec.LinearRegression)
            throw new UserInputException("--monitor accuracy: linear regression has no accuracy; early stopping watches its validation loss");
        return monitor;
    }
}
