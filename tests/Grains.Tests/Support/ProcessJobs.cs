using System.Text.Json;

namespace Trainer.Grains.Tests.Support;

/// <summary>What the tests of jobs on silo processes share: silos on free ports, a job's report, waiting for its output.</summary>
internal static class ProcessJobs
{
    public static JsonElement ReportOf(string outDir) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json"))).RootElement;

    public static string HashOf(string outDir) => ReportOf(outDir).GetProperty("weightsSha256").GetString()!;

    /// <summary>The job on the reference trainer (<c>--cluster local</c>): its weights' hash.</summary>
    public static async Task<string> Reference(string[] job, string outDir)
    {
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["train", .. job, "--cluster", "local", "--out", outDir], new StringWriter(), errors);
        Assert.True(code == 0, $"exit {code}: {errors}");
        return HashOf(outDir);
    }

    /// <summary>A silo process of <paramref name="cluster"/> on two free ports.</summary>
    public static Task<ChildProcess> StartSilo(string cluster, params string[] extra)
    {
        var ports = ChildProcess.FreePorts(2);
        return ChildProcess.StartSilo(["--cluster", cluster, "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. extra]);
    }

    /// <summary>Waits for one of the texts in a running job's output; fails at once if the job ends first.</summary>
    public static async Task UntilSeen(LineWatcher output, string text, Task<int> run, StringWriter errors, string? orText = null)
    {
        var seen = orText is null ? output.Seen(text) : Task.WhenAny(output.Seen(text), output.Seen(orText));
        await Task.WhenAny(seen, run).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(seen.IsCompleted, $"the job ended (exit {(run.IsCompleted ? run.Result : -1)}) before printing '{text}': {errors}\n{output}");
    }
}
