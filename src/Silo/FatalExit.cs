using System.Runtime.InteropServices;

namespace Trainer.Silo;

/// <summary>
/// What a silo does when Orleans finds it cannot go on, most often because the cluster declared it
/// dead (after a network partition healed, or a long pause): one line on stderr and exit code 5, so
/// that a supervisor restarts it and it joins again (and gets work again), instead of Orleans's
/// FATAL dump and SIGABRT. The other silos have taken over its grains already, so nothing is left to
/// stop gracefully: the process ends at once.
/// </summary>
public sealed class FatalExit : IFatalErrorHandler
{
    public const int DeclaredDeadExitCode = 5;

    public bool IsUnexpected(Exception exception) => exception is not OperationCanceledException;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        var reason = exception?.Message ?? context ?? "a fatal error";
        Console.Error.WriteLine($"error: this silo stops: {FirstLine(reason)} (exit {DeclaredDeadExitCode}: start it again to rejoin the cluster)");
        Console.Error.Flush();
        Console.Out.Flush();
        Exit(DeclaredDeadExitCode);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>libc's _exit: no exit handlers, which would wait for a graceful stop that a dead silo cannot make.</summary>
    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int code);
}
