using Trainer.Client.Commands;
using Trainer.Client.Commands.Bench;
using Trainer.Client.Commands.Scale;
using Trainer.Client.Commands.Train;
using Trainer.Client.CommandLine;
using Trainer.Core;
using Trainer.Grains.Hosting;

namespace Trainer.Client;

/// <summary>Dispatches a command and turns every failure into one line and its exit code.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellation = default)
    {
        try
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                output.Write(HelpText.Overview);
                return ExitCode.Done;
            }
            var command = args[0];
            var rest = args[1..];
            return command switch
            {
                "train" => await TrainCommand.RunAsync(Parse(TrainCommand.Options, "train", rest, output), output, cancellation),
                "resume" => await ResumeCommand.RunAsync(Parse(ResumeCommand.Options, "resume", rest, output), output, cancellation),
                "evaluate" => EvaluateCommand.Run(Parse(EvaluateCommand.Options, "evaluate", rest, output), output),
                "predict" => PredictCommand.Run(Parse(PredictCommand.Options, "predict", rest, output), output),
                "export" => ExportCommand.Run(Parse(ExportCommand.Options, "export", rest, output), output),
                "status" => await StatusCommand.RunAsync(Parse(StatusCommand.Options, "status", rest, output), output, cancellation),
                "cancel" => await CancelCommand.RunAsync(Parse(CancelCommand.Options, "cancel", rest, output), output, cancellation),
                "scale" => await ScaleCommand.RunAsync(Parse(ScaleCommand.Options, "scale", rest, output), output, cancellation),
                "bench" => await BenchCommand.RunAsync(rest, output, cancellation),
                _ => throw new UserInputException($"unknown command '{command}'; commands: train, resume, status, cancel, evaluate, predict, export, scale, bench (see 'trainer --help')"),
            };
        }
        catch (HelpShownException)
        {
            return ExitCode.Done;
        }
        catch (Exception e)
        {
            return Report(e, errors);
        }
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
                    JobFaultException.ClusterLost => ExitCode.ClusterUnreachable,
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

    internal static ParsedArguments Parse(IReadOnlyList<OptionInfo> options, string command, string[] args, TextWriter output)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            output.Write(HelpText.For(command, options));
            throw new HelpShownException();
        }
        return ParsedArguments.Parse(options, command, args);
    }

    private sealed class HelpShownException : Exception;
}
