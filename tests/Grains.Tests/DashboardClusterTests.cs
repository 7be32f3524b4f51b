using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// trainer dashboard --cluster against a silo process while a trainer runs a job on it: the page
/// lists the job as 'trainer status' sees it, next to the run's folder, live from its progress.json.
/// </summary>
public sealed class DashboardClusterTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static async Task<JsonElement> RunsJson(string url)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(url + "runs.json")).RootElement.Clone();
    }

    [Fact]
    public async Task The_dashboard_lists_the_cluster_s_jobs_beside_the_folder_s_runs()
    {
        var ports = ChildProcess.FreePorts(2);
        await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        var cluster = $"localhost:{ports[1]}";
        var job = "watched-" + Guid.NewGuid().ToString("N")[..6];
        var folder = Path.Combine(Path.GetTempPath(), "trainer-" + job);
        Directory.CreateDirectory(folder);
        try
        {
            var trainOutput = new LineWatcher();
            var training = Client.Cli.RunAsync(["train", "--cluster", cluster, "--job", job, "--hidden", "32", "--epochs", "500", "--patience", "0",
                "--out", Path.Combine(folder, job)], trainOutput, new StringWriter());
            await Task.WhenAny(trainOutput.Seen("epoch 2/"), training).WaitAsync(Deadline);
            Assert.False(training.IsCompleted, trainOutput.ToString());

            using var stop = new CancellationTokenSource();
            var output = new LineWatcher();
            var errors = new StringWriter();
            var dashboard = Client.Cli.RunAsync(["dashboard", folder, "--port", "0", "--cluster", cluster], output, errors, stop.Token);
            await Task.WhenAny(output.Seen("dashboard http"), dashboard).WaitAsync(Deadline);
            var url = Regex.Match(output.ToString(), @"dashboard (http://127\.0\.0\.1:\d+/)");
            Assert.True(url.Success, $"{output} {errors}");

            JsonElement data = default;
            await Eventually.Until(async () =>
            {
                data = await RunsJson(url.Groups[1].Value);
                return data.GetProperty("cluster").GetProperty("jobs").EnumerateArray().Any(j => j.GetProperty("job").GetString() == job);
            }, Deadline, () => data.ToString());
            var listed = data.GetProperty("cluster").GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("job").GetString() == job);
            Assert.Equal("running", listed.GetProperty("state").GetString());
            Assert.Equal(500, listed.GetProperty("epochs").GetInt32());
            Assert.Equal("running", data.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("id").GetString() == job).GetProperty("status").GetString());

            var dom = await HeadlessChromium.DumpDomAsync(url.Groups[1].Value, 3000, Deadline);
            Assert.Contains($"<tr id=\"job-{job}\" data-state=\"running\">", dom);
            Assert.Contains($"<span id=\"cluster-name\">{cluster}</span>", dom);

            var (cancelOutput, cancelErrors) = (new StringWriter(), new StringWriter());
            Assert.True(await Client.Cli.RunAsync(["cancel", "--job", job, "--cluster", cluster], cancelOutput, cancelErrors) == 0, cancelErrors.ToString());
            Assert.Equal(130, await training.WaitAsync(Deadline));
            await stop.CancelAsync();
            Assert.Equal(0, await dashboard.WaitAsync(Deadline));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
