using System.CommandLine;
using Trainer.Client.Commands;
using Trainer.Client.Commands.Bench;
using Trainer.Client.Commands.Dashboard;
using Trainer.Client.Commands.Scale;
using Trainer.Client.Commands.Train;
using Trainer.Client.CommandLine;
using Trainer.Core;
using Trainer.Grains.Hosting;

namespace Trainer.Client;

/// <summary>trainer's commands, and every failure turned into one line and its exit code.</summary>
public static class Cli
{
    public static IReadOnlyList<CommandSpec> Commands { get; } =
    [
        new("train", "train a model; writes report.json, model.json and curves.png to --out", TrainCommand.Options, TrainCommand.RunAsync),
        new("resume", "continue a job on a cluster from its last checkpoint", ResumeCommand.Options, ResumeCommand.RunAsync),
        new("status", "the jobs of a cluster: state, epoch, step, best validation, where they run", StatusCommand.Options, StatusCommand.RunAsync),
        new("cancel", "stop a running job (its checkpoint stays for resume)", CancelCommand.Options, CancelCommand.RunAsync),
        new("evaluate", "metrics of a saved model on a data set", EvaluateCommand.Options, CommandSpec.Sync((a, o, _) => EvaluateCommand.Run(a, o))),
        new("predict", "a saved model's predictions as CSV", PredictCommand.Options, CommandSpec.Sync((a, o, _) => PredictCommand.Run(a, o))),
        new("export", "a saved model as ONNX", ExportCommand.Options, CommandSpec.Sync((a, o, _) => ExportCommand.Run(a, o))),
        new("scale", "a sweep over batch, workers, lr scaling, optimizer and warm-up to a --target", ScaleCommand.Options, ScaleCommand.RunAsync),
        new("dashboard", "a page of every run under a folder (default runs), finished and live, side by side, until Ctrl-C", DashboardCommand.Options, DashboardCommand.RunAsync)
            { Argument = DashboardCommand.Folder },
        new("bench", "benchmarks: kernel, transport, train, peers", [], null) { Commands = BenchCommand.Commands },
    ];

    /// <summary>Runs a command line; <paramref name="environment"/> stands for the process's environment variables.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellation = default,
        Func<string, string?>? environment = null)
    {
        try
        {
            var commandLine = new TrainerCommandLine(HelpText.Overview, Commands, environment ?? Environment.GetEnvironmentVariable);
            var result = commandLine.Parse(args switch { [] => ["--help"], ["help", .. var rest] => [.. rest, "--help"], _ => args });
            var invocation = new InvocationConfiguration { Output = output, Error = errors, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await result.InvokeAsync(invocation, cancellation); // Ctrl-C is Program's, through the token
        }
        catch (Exception e)
        {
            return Report(e, errors);
        }
    }

    /// <summary>The options a command line gives its command, from every source, without running it (the deployment checks read theirs so).</summary>
    public static ParsedArguments Read(string[] args, Func<string, string?>? environment = null)
    {
        var commandLine = new TrainerCommandLine(HelpText.Overview, Commands, environment ?? Environment.GetEnvironmentVariable);
        return commandLine.Read(commandLine.Parse(args)) ?? throw new UserInputException($"'{string.Join(' ', args)}' runs no command");
    }

    /// <summary>A failure as the one line the user reads and its exit code; a bug (anything unforeseen) with its whole exception.</summary>
    public static int Report(Exception e, TextWriter errors)
    {
        switch (e)
        {
            case UserInputException:
                errors.WriteLine($"error: {e.Message}");
                return ExitCode.UserError;
            case TrainingDivergedException:
                errors.WriteLine($"error: {e.Message}");
                return ExitCode.Diverged;
            case JobFaultException { Kind: JobFaultException.Cancelled }:
                errors.WriteLine($"cancelled: {e.Message}");
                return ExitCode.Cancelled;
            case JobFaultException fault:
                errors.WriteLine($"error: {e.Message}");
                return fault.Kind switch
                {
                    JobFaultException.Diverged => ExitCode.Diverged,
                    JobFaultException.ClusterLost or JobFaultException.StoreLost => ExitCode.ClusterUnreachable,
                    _ => ExitCode.UserError,
                };
            case ClusterUnreachableException:
                errors.WriteLine($"error: {e.Message}");
                return ExitCode.ClusterUnreachable;
            case OperationCanceledException:
                errors.WriteLine("cancelled");
                return ExitCode.Cancelled;
            default:
                errors.WriteLine($"internal error (please report it): {e}");
                return ExitCode.InternalFault;
        }
    }
}
