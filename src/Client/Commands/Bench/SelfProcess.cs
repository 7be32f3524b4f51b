using System.Diagnostics;

namespace Trainer.Client.Commands.Bench;

/// <summary>This trainer run again as a child process (its apphost, or dotnet with its assembly): benchmarks that need a process of their own per run.</summary>
internal static class SelfProcess
{
    public static ProcessStartInfo Start(string[] args)
    {
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return start;
    }
}
