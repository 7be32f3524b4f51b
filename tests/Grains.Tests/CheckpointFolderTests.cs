using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Hosting;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Tests.Support;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Tests;

/// <summary>
/// A checkpoint folder the user must fix (full, read-only, gone) is one true line that says which and
/// what to do: no stack trace on the console, nothing half-written left in it. On real file systems:
/// a 1 MB tmpfs, a tmpfs mounted read-only, a folder removed under a store that wrote to it.
/// </summary>
public sealed class CheckpointFolderTests
{
    private static readonly GrainId Grain = GrainId.Create("parameterserver", "job-a");

    private static FileGrainStorage Storage(string root) =>
        new(root, new ServiceCollection().AddSerializer(s => s.AddTrainerSerialization()).BuildServiceProvider().GetRequiredService<Serializer>(),
            NullLogger<FileGrainStorage>.Instance);

    private static Task Write(FileGrainStorage storage, int floats) =>
        storage.WriteStateAsync("job", Grain, new GrainState<JobState>(new JobState { Weights = new FloatVector(new float[floats]) }));

    /// <summary>The trainer as a user runs it, in its own process, so that whatever reaches the console is seen.</summary>
    private static async Task<string[]> TrainInto(string checkpoints, string outDir, int expectedExit)
    {
        // 64-4096-10 on digits: 307,210 parameters, 1.2 MB of weights in every checkpoint
        var (code, output) = await ChildProcess.RunTrainer(new Dictionary<string, string>(), TimeSpan.FromMinutes(3),
            "train", "--hidden", "4096", "--epochs", "1", "--cluster", "embedded:2", "--checkpoint-dir", checkpoints, "--out", outDir);
        Assert.True(code == expectedExit, $"exit {code}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.Contains("Exception"));
        Assert.False(Directory.Exists(outDir), "a job that failed wrote results");
        Assert.Empty(Directory.GetFiles(checkpoints, "*.partial", SearchOption.AllDirectories));
        return lines;
    }

    [SkippableFact]
    public async Task A_full_disk_is_one_line_with_the_space_free_and_needed()
    {
        using var disk = Tmpfs.TryMount("size=1m", out var reason);
        Skip.If(disk is null, reason);
        var lines = await TrainInto(disk.Path, Path.Combine(Path.GetTempPath(), "trainer-full-" + Guid.NewGuid().ToString("N")[..8]), expectedExit: 4);
        Assert.Matches($@"^error: no space left on {Regex.Escape(disk.Path)}: [\d,]+ bytes free, a checkpoint needs [\d,]+; free space or pass --checkpoint-dir$", lines[^1]);
        Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_read_only_folder_is_one_line()
    {
        using var disk = Tmpfs.TryMount("ro,size=1m", out var reason);
        Skip.If(disk is null, reason);
        var lines = await TrainInto(disk.Path, Path.Combine(Path.GetTempPath(), "trainer-ro-" + Guid.NewGuid().ToString("N")[..8]), expectedExit: 4);
        Assert.Equal($"error: cannot write checkpoints to {disk.Path}: it is on a read-only file system; make it writable or pass --checkpoint-dir", lines[^1]);
    }

    /// <summary>
    /// A disk that fills up while the job runs: checkpoints are put off (space may be freed) until the
    /// patience runs out; then one line says why, keeps the last checkpoint, and gives the command
    /// that, once space is freed, continues the job: run as printed, it resumes.
    /// </summary>
    [SkippableFact]
    public async Task A_disk_that_fills_up_mid_run_stops_the_job_with_the_line_that_resumes_it()
    {
        using var disk = Tmpfs.TryMount("size=1m", out var reason);
        Skip.If(disk is null, reason);
        var job = "full-" + Guid.NewGuid().ToString("N")[..6];
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-" + job);
        // 64-1024-10: the first checkpoint (300 kB of weights) fits, the next with velocity and best weights does not beside it;
        // far more epochs than the 30 s patience takes, with early stopping off
        var (code, output) = await ChildProcess.RunTrainer(new Dictionary<string, string>(), TimeSpan.FromMinutes(5),
            "train", "--hidden", "1024", "--epochs", "5000", "--patience", "0", "--cluster", "embedded:2", "--checkpoint-dir", disk.Path, "--job", job, "--out", outDir);
        Assert.True(code == 4, $"exit {code}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.Contains("Exception"));
        Assert.Contains(lines, l => l.Contains($"checkpoint put off: no space left on {disk.Path}: ", StringComparison.Ordinal));
        var error = Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Matches($@"^error: job {job}: no space left on {Regex.Escape(disk.Path)}: [\d,]+ bytes free, a checkpoint needs [\d,]+; training stopped after \d+ s of retries, " +
                       $"its last checkpoint is kept: free space, then 'trainer resume --job {job} --cluster embedded:2 --checkpoint-dir {Regex.Escape(disk.Path)}' continues it$", error);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.partial", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")));
        if (Directory.Exists(outDir)) Directory.Delete(outDir, true); // its progress.json, marked failed

        disk.Resize("16m");
        var printed = Regex.Match(error, "'trainer (resume [^']*)'").Groups[1].Value.Split(' ');
        await using var resumed = await ChildProcess.StartTrainer($"job {job} resumed at epoch", printed); // as printed; it trains on from there, and is stopped here
    }

    /// <summary>A checkpoint that no longer fits mid-run (it grows with the velocity and best weights): the one before it stays, and nothing else is left.</summary>
    [SkippableFact]
    public async Task A_disk_that_fills_up_keeps_the_last_checkpoint_and_no_partial_file()
    {
        using var disk = Tmpfs.TryMount("size=1m", out var reason);
        Skip.If(disk is null, reason);
        var storage = Storage(disk.Path);
        await Write(storage, 50_000); // 200 kB
        var full = await Assert.ThrowsAsync<CheckpointFolderException>(() => Write(storage, 250_000)); // 1 MB more
        Assert.Matches($@"^no space left on {Regex.Escape(disk.Path)}: [\d,]+ bytes free, a checkpoint needs 1,000,\d+$", full.Problem);
        Assert.Equal("free space", full.ResumeRemedy);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.partial", SearchOption.AllDirectories));
        var kept = new GrainState<JobState>(new JobState());
        await storage.ReadStateAsync("job", Grain, kept);
        Assert.Equal(50_000, kept.State!.Weights!.Values.Length);
    }

    [Fact]
    public async Task A_folder_that_vanishes_is_named_gone_and_not_made_again()
    {
        var root = Path.Combine(Path.GetTempPath(), "trainer-vanish-" + Guid.NewGuid().ToString("N")[..8]);
        var storage = Storage(root);
        await Write(storage, 10);
        Directory.Delete(root, recursive: true); // removed, or its disk unmounted, while the job runs
        var gone = await Assert.ThrowsAsync<CheckpointFolderException>(() => Write(storage, 10));
        Assert.Equal($"the checkpoint folder {root} is gone (removed or unmounted while the job ran); restore it or pass --checkpoint-dir", gone.Message);
        Assert.False(Directory.Exists(root));
        await storage.ClearStateAsync("job", Grain, new GrainState<JobState>(new JobState())); // a job that finishes then has nothing to delete, and no warning to print
    }

    [Fact]
    public async Task A_folder_whose_path_holds_a_file_says_so()
    {
        var file = Path.GetTempFileName(); // a silo's --checkpoint-dir that names a file (the trainer refuses one before it starts)
        try
        {
            var blocked = await Assert.ThrowsAsync<CheckpointFolderException>(() => Write(Storage(Path.Combine(file, "checkpoints")), 10));
            Assert.Equal($"cannot write checkpoints to {Path.Combine(file, "checkpoints")}: a part of its path is a file, not a folder; pass --checkpoint-dir a folder", blocked.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
