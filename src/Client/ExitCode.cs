namespace Trainer.Client;

/// <summary>The exit codes of the command-line contract (docs/cli.md).</summary>
public static class ExitCode
{
    public const int Done = 0;
    public const int InternalFault = 1;
    public const int UserError = 2;
    public const int Diverged = 3;
    public const int ClusterUnreachable = 4;
    /// <summary>Ctrl-C, or the job cancelled by 'trainer cancel' (128 + SIGINT, as shells report an interrupted program).</summary>
    public const int Cancelled = 130;
}
