using System.Diagnostics;
using System.Text.Json;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// bench/hosts/scaleout.sh, the scale-out harness: emulated hosts (network namespaces on a bridge, a
/// vCPU each, tc-limited links) that run one silo each. A two-host job through it keeps the
/// determinism contract, and the harness leaves no namespace, bridge, cgroup or process behind, also
/// when it is stopped mid-run. One class: the harness's names (trh1, trhbr0) are the machine's.
/// </summary>
public sealed class ScaleoutHarnessTests
{
    private static readonly string Script = Path.Combine(DeployTests.Root, "bench", "hosts", "scaleout.sh");

    [SkippableFact]
    public void A_two_host_job_through_the_harness_has_the_reference_weights_and_leaves_nothing_behind()
    {
        SkipUnlessHostsCanBeMade();
        var json = Path.Combine(Path.GetTempPath(), $"scaleout-{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, errors) = RunToEnd("--data", "digits", "--rates", "1gbit", "--rows", "32", "--epochs", "1", "--check-hash", "--no-ddp", "--json", json);
            Assert.True(code == 0, $"the harness exited {code}: {output} {errors}");
            var row = JsonDocument.Parse(File.ReadAllLines(json).Single()).RootElement;
            Assert.Equal("same", row.GetProperty("hash").GetString());
            Assert.Equal(2, row.GetProperty("hosts").GetInt32());
            Assert.True(row.GetProperty("manyHosts").GetDouble() > 0 && row.GetProperty("oneHost").GetDouble() > 0, output);
            Assert.True(row.GetProperty("bytesPerStep").GetInt64() > 0, output);
            Assert.Contains("1gbit", output);
            AssertNothingLeft();
        }
        finally { File.Delete(json); }
    }

    [SkippableFact]
    public async Task A_harness_stopped_mid_run_removes_its_hosts_and_their_processes()
    {
        SkipUnlessHostsCanBeMade();
        using var harness = Start("--data", "digits", "--rates", "none", "--rows", "16", "--epochs", "50", "--no-ddp");
        // stopped once its hosts exist and a silo runs inside one
        await Eventually.Until(() => Task.FromResult(harness.HasExited || HostProcesses().Any()), TimeSpan.FromMinutes(2),
            () => "no process ran inside an emulated host within 2 minutes");
        Assert.False(harness.HasExited, "the harness ended before its hosts ran anything");
        if (Environment.ProcessorCount >= 2) // each host on its own vCPU (nproc under OMP_NUM_THREADS=1 once put both on vCPU 0)
        {
            // a process runs inside host 1 while host 2 is still being made (its tc): wait for both cpusets
            await Eventually.Until(() => Task.FromResult(new[] { 1, 2 }.All(h => HostCpus(h) is { Length: > 0 })), TimeSpan.FromMinutes(1),
                () => "the hosts' cpusets were not written within a minute");
            Assert.Equal(["0", "1"], new[] { 1, 2 }.Select(HostCpus));
        }
        Run("kill", "-TERM", harness.Id.ToString());
        Assert.True(harness.WaitForExit(60_000), "the harness did not stop within 60 s of SIGTERM");
        Assert.Equal(143, harness.ExitCode);
        AssertNothingLeft();
    }

    private static void SkipUnlessHostsCanBeMade()
    {
        Skip.IfNot(Environment.UserName == "root" || Run("id", "-u").Trim() == "0", "emulated hosts need root (network namespaces, tc, cgroups)");
        var probe = Run("sh", "-c", "ip netns add trhtestprobe && ip netns del trhtestprobe && echo ok");
        Skip.IfNot(probe.Trim() == "ok", "this machine does not allow network namespaces");
    }

    private static void AssertNothingLeft()
    {
        Assert.DoesNotContain("trh", Run("ip", "netns", "list"));
        Assert.DoesNotContain("trhbr0", Run("ip", "link", "show"));
        Assert.Empty(HostProcesses());
        Assert.Empty(new[] { "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup" }
            .Where(Directory.Exists).SelectMany(d => Directory.GetDirectories(d, "trh*")));
    }

    /// <summary>The vCPUs host <paramref name="host"/>'s cgroup may run on (cpuset.cpus, cgroup v1 or v2); null before its cgroup is made.</summary>
    private static string? HostCpus(int host) =>
        new[] { $"/sys/fs/cgroup/cpuset/trh{host}/cpuset.cpus", $"/sys/fs/cgroup/trh{host}/cpuset.cpus" }.FirstOrDefault(File.Exists) is { } file
            ? File.ReadAllText(file).Trim() : null;

    /// <summary>The processes inside any emulated host (ip netns pids of every trh namespace).</summary>
    private static IEnumerable<string> HostProcesses() =>
        Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0]).Where(n => n.StartsWith("trh"))
            .SelectMany(n => Run("ip", "netns", "pids", n).Split('\n', StringSplitOptions.RemoveEmptyEntries));

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Script) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DeployTests.Root };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine(); process.BeginErrorReadLine();
        return process;
    }

    private static (int Code, string Output, string Errors) RunToEnd(params string[] args)
    {
        var start = new ProcessStartInfo(Script) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DeployTests.Root };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output.Result;
    }
}
