using System.Text.Json;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// Two silo processes that give jobs 64 MB each, one of them at most one job, the other two: while
/// a small job trains on both, a job whose estimate exceeds the limit is refused in one line
/// (exit 2), a third job passes over the full silo and trains on the other, and a fourth, with
/// both silos full, is refused; the small jobs end with the reference trainer's hash, and the
/// silos stay up.
/// </summary>
public sealed class AdmissionTests
{
    private static readonly string[] Small = ["--data", "digits", "--hidden", "16", "--batch", "16", "--partitions", "2", "--val-fraction", "0"];

    private static string HashOf(string outDir)
    {
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
        return report.RootElement.GetProperty("weightsSha256").GetString()!;
    }

    private static string Reference(int epochs) =>
        Training.Reference(new DataSpec("digits", ValFraction: 0), new TrainOptions { Hidden = [16], Batch = 16, Partitions = 2, Epochs = epochs }).WeightsSha256;

    [Fact]
    public async Task A_job_too_big_for_the_silos_memory_is_refused_while_other_jobs_train_to_their_hash()
    {
        var work = Directory.CreateTempSubdirectory("trainer-admission-").FullName;
        try
        {
            var ports = ChildProcess.FreePorts(4);
            await using var primary = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}",
                "--memory-limit", "64MB", "--max-jobs", "2", "--checkpoint-dir", Path.Combine(work, "checkpoints"));
            await using var second = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}", "--memory-limit", "64MB", "--max-jobs", "1", "--checkpoint-dir", Path.Combine(work, "checkpoints"));
            var cluster = $"localhost:{ports[1]},{ports[3]}";

            var longOutput = new LineWatcher();
            var longErrors = new StringWriter();
            var longJob = Client.Cli.RunAsync(["train", "--cluster", cluster, .. Small, "--epochs", "20", "--job", "long", "--out", Path.Combine(work, "long")], longOutput, longErrors);
            var started = longOutput.Seen("epoch 1/20");
            await Task.WhenAny(started, longJob).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(started.IsCompleted, $"the long job ended first: {longErrors}\n{longOutput}");

            var bigErrors = new StringWriter();
            var big = await Client.Cli.RunAsync(["train", "--cluster", cluster, "--data", "digits", "--hidden", "4096,4096", "--epochs", "1", "--job", "big",
                "--out", Path.Combine(work, "big")], new StringWriter(), bigErrors);
            Assert.True(big == 2, $"exit {big}: {bigErrors}");
            var line = Assert.Single(bigErrors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: the job needs about ", line);
            Assert.Contains("and the silo's --memory-limit 64.0 MB, less ", line);
            Assert.False(Directory.Exists(Path.Combine(work, "big")));

            var thirdOutput = new LineWatcher();
            var thirdErrors = new StringWriter();
            var third = Client.Cli.RunAsync(["train", "--cluster", cluster, .. Small, "--epochs", "15", "--job", "third", "--out", Path.Combine(work, "third")],
                thirdOutput, thirdErrors);
            var thirdStarted = thirdOutput.Seen("epoch 1/15");
            await Task.WhenAny(thirdStarted, third).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(thirdStarted.IsCompleted, $"the third job ended first: {thirdErrors}\n{thirdOutput}");
            // the long job held its place from before the big one's refusal to after it: they ran at the same time
            Assert.Contains("is full: it runs 1 job (long), its --max-jobs 1", thirdOutput.ToString());

            var fourthErrors = new StringWriter(); // both silos full now: the job is refused
            Assert.Equal(2, await Client.Cli.RunAsync(["train", "--cluster", cluster, .. Small, "--epochs", "1", "--job", "fourth", "--out", Path.Combine(work, "fourth")],
                new StringWriter(), fourthErrors));
            var full = Assert.Single(fourthErrors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: job fourth: every silo was refused (silo ", full);
            Assert.Contains("is full: it runs 2 jobs (long, third), its --max-jobs 2", full);

            Assert.True(0 == await third, $"{thirdErrors}\n{thirdOutput}");
            Assert.Equal(Reference(15), HashOf(Path.Combine(work, "third")));

            Assert.True(0 == await longJob, $"{longErrors}\n{longOutput}");
            Assert.Equal(Reference(20), HashOf(Path.Combine(work, "long")));
            Assert.False(primary.HasExited || second.HasExited);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
