using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Models.Layers;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Messages;

namespace Trainer.Client.Commands.Train;

/// <summary>
/// <c>trainer train</c>: train on the reference trainer (<c>--cluster local</c>) or on an Orleans
/// cluster, through the same training loop; write report.json, model.json and curves.png.
/// </summary>
public static class TrainCommand
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        .. OptionGroups.Model.Of(
        [
            new("--model", "linreg|logreg|softmax|perceptron|svm|mlp|lenet|cnn (default mlp)", "KIND") { Choices = ModelSpec.Kinds },
            new("--hidden", "MLP hidden widths, e.g. 256 or 256,128 (default 256)", "W[,W...]"),
            new("--activation", "hidden-layer activation of mlp, lenet and cnn: relu|tanh|sigmoid (default relu)", "NAME") { Choices = ModelSpec.Activations },
            new("--dropout", "inverted dropout on every hidden dense layer in training, 0 to 0.95 (default 0)", "P"),
            new("--layers", "cnn's layers, e.g. conv5x5x32,pool2,conv5x5x64,pool2,dense1024 (convKxKxC[sN][pN], poolK, maxpoolK, avgpoolK[sN], denseN; default: none, cnn needs it)", "LIST"),
            new("--pool", "lenet's pooling, and cnn's poolK layers: max (default) | avg", "KIND") { Choices = PoolLayer.Kinds },
            new("--input-shape", "lenet, cnn: a row's image shape C,H,W (default: an IDX folder's or fashion-mnist's 1,28,28; a CSV needs it)", "C,H,W"),
            new("--task", "classification|regression: what an MLP learns (default: a built-in data set's own, else classification)", "TASK") { Choices = ModelSpec.Tasks },
        ]),
        .. OptionGroups.Data.Of(
        [
            new("--data", "built-in digits (default), breast-cancer, diabetes, fashion-mnist; or a .csv/.csv.gz/.libsvm/.svm file or IDX folder", "NAME|PATH") { Choices = BuiltInDatasets.Names },
            new("--test", "held-out test set (file or IDX folder); fashion-mnist brings its t10k files (default: a split of --data)", "NAME|PATH"),
            new("--label-column", "CSV label column (default: the last); its values may be numbers or class names", "NAME"),
            new("--delimiter", "field delimiter of a delimited text file: one character such as ; or |, or tab (default: comma; tab for .tsv)", "CHAR"),
            new("--missing", "missing cells (empty, NA, N/A, ?) of delimited text: drop (leave such rows out) | mean (a feature's column mean; rows without a label are left out) (default: refused)", "drop|mean") { Choices = MissingValues.Kinds },
            new("--ignore-columns", "columns of delimited text to leave out, such as an id or a note (default: none)", "A[,B...]"),
            new("--features", "LibSVM feature count (default: the largest index)", "N"),
            new("--val-fraction", "validation share of the training data (default 0.1; 0 turns validation and early stopping off)", "F"),
            new("--test-fraction", "test share held out when the data has no test part (default 0.2)", "F"),
        ]),
        .. OptionGroups.Optimisation.Of(
        [
            new("--epochs", "epochs (default 20)", "N"),
            new("--batch", "global mini-batch size (default 64); auto: chosen at every epoch boundary by goodput, the rate scaled by AdaScale's gain (docs/scaling.md)", "B|auto"),
            new("--batch-min", "--batch auto: the smallest batch (default: the partitions times a power of two, at least 32)", "N"),
            new("--batch-max", "--batch auto: the largest batch (default: the largest of those at most 4096, a quarter of the training rows and what memory allows)", "N"),
            new("--batch-start", "--batch auto: the first epoch's batch (default --batch-min)", "N"),
            new("--batch-cost", "--batch auto: pin the step-cost fit, milliseconds A + B·batch, instead of fitting measured step times, so the schedule is the same on any cluster (default: fitted)", "A,B"),
            new("--batch-schedule", "--batch auto: replay the epochs' batch and lr gain of a report.json or JSON with its epochs array (default: none, decide)", "FILE"),
            new("--lr", "learning rate (default 0.05; a regression MLP 0.001)", "X"),
            new("--momentum", "momentum (default 0.9; 0 for plain SGD)", "M"),
            new("--nesterov", "Nesterov momentum"),
            new("--weight-decay", "L2 weight decay on weights (default 0; svm 1e-4, its λ)", "L"),
            new("--optimizer", "sgd (default) | lars: layer-wise trust ratio for large batches (You et al. 2017)", "NAME") { Choices = Optimizer.Kinds },
            new("--trust-coefficient", "lars: its η, how far a layer moves relative to its norm (default 0.001)", "ETA"),
            new("--lr-scaling", "none (default) | linear | sqrt: --lr is for --base-batch, scaled to --batch", "RULE") { Choices = LearningRateScaling.Kinds },
            new("--base-batch", "the batch --lr is given for when --lr-scaling scales it (default 256)", "B"),
            new("--schedule", "learning-rate schedule constant|step|cosine (default constant)", "NAME") { Choices = LearningRateSchedule.Kinds },
            new("--warmup-epochs", "linear warm-up epochs (default 0)", "K"),
            new("--seed", "random seed (default 42)", "S"),
        ]),
        .. OptionGroups.EarlyStopping.Of(
        [
            new("--patience", "early stopping: epochs without improvement before stopping (default 10; off when the validation set has under 50 rows; 0 = never stop early)", "P"),
            new("--monitor", "early stopping watches the validation loss (default) or accuracy", "loss|accuracy") { Choices = EarlyStoppingPolicy.Monitors },
            new("--min-delta", "smallest validation improvement that counts (default 0)", "D"),
            new("--target", "stop at the first epoch whose validation accuracy (R² for regression) reaches this; the report gives steps and seconds to it (default: none)", "ACC"),
            new("--past-target", "with --target: note when it is reached but train on to --epochs"),
        ]),
        .. OptionGroups.Cluster.Of(
        [
            new("--cluster", "embedded[:N] (default embedded:2) | local | localhost:PORT[,PORT...] | redis://HOST:PORT", "SPEC"),
            new("--workers", "worker grains, at most --partitions; auto: one per silo the job finds when it starts, at most one per partition (default auto; embedded:N: N)", "W|auto"),
            new("--mode", "sync (default: bit-identical to --cluster local) | async | ssp | local-sgd", "MODE") { Choices = JobMode.Kinds },
            new("--staleness", "ssp: how many steps a worker may run ahead of the slowest (default 2)", "S"),
            new("--average-every", "local-sgd: steps each worker takes on its own between two averagings of the weights (default 8)", "H"),
            new("--ps-shards", "parameter-server shards: the parameters split into N key ranges, each held by its own grain (sync mode; default 1)", "N"),
            new("--rebalance", "sync mode: cut the partitions again by the workers' measured speeds, same bits (default on; off with --wire bf16)", "on|off") { Choices = [TrainRequest.Off, TrainRequest.On] },
            new("--wire", "how workers send their gradient sums: float32 (default, lossless) | bf16 (half the bytes, rounded with error feedback: reproducible, not the reference's bits)", "FORMAT") { Choices = JobWire.Kinds },
        ]),
        .. OptionGroups.Compute.Of(
        [
            new("--partitions", "data partitions, fixed for the job (default 8, at most --batch)", "P"),
            new("--threads", "compute threads per worker (default: cores / workers; local: all cores)", "T"),
            new("--kernel", "auto|openblas|managed (default auto: OpenBLAS when installed)", "NAME") { Choices = KernelChoice.Names },
        ]),
        .. OptionGroups.Checkpoints.Of(
        [
            new("--checkpoint-every", "also checkpoint every N steps (default 0: at every epoch end only)", "N"),
            new("--step-timeout", "seconds a step may take before its work is retried on fresh workers (default 10)", "S"),
            CommonOptions.CheckpointDir,
        ]),
        .. OptionGroups.Tls.Of(CommonOptions.TlsOptions),
        .. OptionGroups.Monitoring.Of(
        [
            .. CommonOptions.TelemetryOptions,
            CommonOptions.MetricsPort,
            CommonOptions.Dashboard,
        ]),
        .. OptionGroups.Output.Of(
        [
            new(ConfigFile.Option, "a JSON file of these options ({\"lr\": 0.1, \"hidden\": [256, 128]}), or a report.json to train again; the command line and TRAINER_* variables override it (default: none)", "FILE"),
            new("--job", "name of the job (default: generated)", "ID"),
            new("--out", "output folder (default runs/<time-stamp>)", "DIR"),
        ]),
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var request = TrainArguments.Read(args);
        using var telemetry = CommonOptions.StartTelemetry(args);
        using var metrics = CommonOptions.ServeMetrics(args);
        using var dashboard = CommonOptions.ServeDashboard(args);
        await TrainRun.RunAsync(request, output, cancellation, dashboard);
        return ExitCode.Done;
    }
}
