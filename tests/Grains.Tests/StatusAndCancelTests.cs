using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// 'trainer status' and 'trainer cancel' against a silo process, while a trainer runs a job on it:
/// status shows the job running with its position and where it runs; cancel stops it, its trainer
/// exits 130 with one line, and status then shows it cancelled.
/// </summary>
public sealed class StatusAndCancelTests
{
    private static async Task<(int Code, string Output, string Errors)> Cli(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    private static async Task<JsonElement?> StatusOf(string cluster, string job)
    {
        var (code, output, errors) = await Cli("status", "--cluster", cluster, "--json");
        Assert.True(code == 0, errors);
        return JsonDocument.Parse(output).RootElement.GetProperty("jobs").EnumerateArray().Where(j => j.GetProperty("job").GetString() == job).Cast<JsonElement?>().FirstOrDefault();
    }

    [Fact]
    public async Task Status_shows_a_running_job_and_cancel_stops_it()
    {
        var ports = ChildProcess.FreePorts(2);
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        var cluster = $"localhost:{ports[1]}";
        var job = "status-" + Guid.NewGuid().ToString("N")[..6];
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-" + job);
        var progress = new LineSignal("epoch 2/500");
        var trainErrors = new StringWriter();
        var training = Client.Cli.RunAsync(["train", "--cluster", cluster, "--job", job, "--hidden", "32", "--epochs", "500", "--patience", "0", "--out", outDir],
            progress, trainErrors);

        // the trainer's own output says when two epochs are done
        await Task.WhenAny(progress.Seen, training).WaitAsync(TimeSpan.FromSeconds(90));
        if (training.IsCompleted) Assert.Fail($"the job ended before it could be cancelled: {trainErrors}");
        var running = await StatusOf(cluster, job);
        var status = Assert.NotNull(running);
        Assert.Equal("running", status.GetProperty("state").GetString());
        Assert.Equal(500, status.GetProperty("epochs").GetInt32());
        Assert.True(status.GetProperty("epoch").GetInt32() >= 2);
        Assert.True(status.GetProperty("step").GetInt64() > 0);
        // the best of what early stopping watches: by default the validation loss (below ln 10, a guess's), not that epoch's accuracy
        Assert.Equal("loss", status.GetProperty("monitor").GetString());
        Assert.InRange(status.GetProperty("bestValidation").GetDouble(), 0, Math.Log(10));
        Assert.Equal(1, status.GetProperty("workers").GetInt32());
        Assert.Equal("mlp 64-32-10 relu", status.GetProperty("model").GetString());
        Assert.NotEmpty(status.GetProperty("parameterServerSilo").GetString()!);
        Assert.Single(status.GetProperty("workerSilos").EnumerateArray());
        var table = await Cli("status", "--cluster", cluster);
        Assert.Contains(job, table.Output);
        Assert.Contains("running", table.Output);
        Assert.Matches(@"running +\d+/500 +\d+/\d+ +loss \d\.\d{4} ", table.Output.Split('\n').Single(l => l.StartsWith(job))); // a later epoch may have bettered it

        var cancel = await Cli("cancel", "--job", job, "--cluster", cluster);
        Assert.True(cancel.Code == 0, cancel.Errors);
        var code = await training.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(130, code);
        Assert.StartsWith($"cancelled: job {job} was cancelled ('trainer cancel')", Assert.Single(trainErrors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")), "a cancelled job wrote results");
        // what it leaves is its progress.json, marked cancelled for 'trainer dashboard' (not left looking running)
        Assert.Equal(["progress.json"], Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)));
        Assert.Equal("cancelled", JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "progress.json"))).RootElement.GetProperty("status").GetString());
        Directory.Delete(outDir, true);

        Assert.Equal("cancelled", (await StatusOf(cluster, job))?.GetProperty("state").GetString());
        var again = await Cli("cancel", "--job", job, "--cluster", cluster);
        Assert.Equal(2, again.Code);
        Assert.Equal($"error: --job {job}: no such job is running on {cluster} (see 'trainer status')", again.Errors.Trim());
    }

    /// <summary>
    /// The two resume lines a cancel prints (the cancel command's and the cancelled trainer's) are the
    /// same, name the cluster, and run as printed: the job resumes from its checkpoint and finishes.
    /// </summary>
    [Fact]
    public async Task The_printed_resume_line_continues_a_cancelled_job()
    {
        var ports = ChildProcess.FreePorts(2);
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        var cluster = $"localhost:{ports[1]}";
        var job = "hint-" + Guid.NewGuid().ToString("N")[..6];
        var progress = new LineSignal("epoch 2/500");
        var trainErrors = new StringWriter();
        // digits stops early within a few dozen epochs (patience 10): long enough to cancel, short enough to finish after the resume
        var training = Client.Cli.RunAsync(["train", "--cluster", cluster, "--job", job, "--hidden", "32", "--epochs", "500", "--out", Path.Combine(Path.GetTempPath(), "trainer-" + job)],
            progress, trainErrors);
        await Task.WhenAny(progress.Seen, training).WaitAsync(TimeSpan.FromSeconds(90));
        if (training.IsCompleted) Assert.Fail($"the job ended before it could be cancelled: {trainErrors}");

        var cancel = await Cli("cancel", "--job", job, "--cluster", cluster);
        Assert.True(cancel.Code == 0, cancel.Errors);
        Assert.Equal(130, await training.WaitAsync(TimeSpan.FromSeconds(60)));
        var fromCancel = PrintedResume(cancel.Output);
        var fromTrainer = PrintedResume(trainErrors.ToString());
        Assert.Equal(["resume", "--job", job, "--cluster", cluster], fromTrainer);
        Assert.Equal(fromTrainer, fromCancel);

        var resumed = await Cli(fromTrainer); // exactly the printed line: its results go where resume puts them by default
        Assert.True(resumed.Code == 0, $"exit {resumed.Code}: {resumed.Errors}\n{resumed.Output}");
        Assert.Contains($"job {job} resumed at epoch ", resumed.Output);
        var written = Regex.Match(resumed.Output, @"wrote (\S+)/report\.json").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(written, "report.json")), resumed.Output);
        Directory.Delete(written, recursive: true);
        Directory.Delete(Path.Combine(Path.GetTempPath(), "trainer-" + job), recursive: true); // the cancelled run's folder: its progress.json
    }

    /// <summary>The words of the 'trainer resume …' line in a printed message, after 'trainer' (the hint has no quoted words here).</summary>
    private static string[] PrintedResume(string printed)
    {
        var line = Regex.Match(printed, "'trainer (resume [^']*)'");
        Assert.True(line.Success, $"no resume line in: {printed}");
        return line.Groups[1].Value.Split(' ');
    }

    [Theory]
    [InlineData("status")]
    [InlineData("cancel")]
    public async Task Status_and_cancel_need_a_cluster_of_silo_processes(string command)
    {
        var (code, _, errors) = await Cli(command == "status" ? ["status", "--cluster", "embedded:2"] : ["cancel", "--job", "x", "--cluster", "embedded:2"]);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --cluster embedded:2: 'trainer {command}' needs a cluster of silo processes", errors);
    }
}

/// <summary>Output that completes <see cref="Seen"/> once a line containing the text has been written.</summary>
internal sealed class LineSignal(string text) : StringWriter
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seen => _seen.Task;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value?.Contains(text, StringComparison.Ordinal) == true) _seen.TrySetResult();
    }
}
