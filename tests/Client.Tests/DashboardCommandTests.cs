using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Client.Tests;

/// <summary>Three finished runs made by 'trainer train' itself, shared by the dashboard's tests (a run takes a second or two).</summary>
public sealed class FinishedRuns : IDisposable
{
    public FinishedRuns()
    {
        foreach (var (name, args) in Runs)
        {
            var outcome = CliRunner.Run(["train", "--cluster", "local", "--threads", "1", "--epochs", "2", "--out", Path.Combine(Folder, name), .. args]).GetAwaiter().GetResult();
            Assert.True(outcome.ExitCode == 0, outcome.Errors);
        }
    }

    public static readonly (string Name, string[] Args)[] Runs =
    [
        ("softmax-b32", ["--model", "softmax", "--batch", "32"]),
        ("mlp-b64", ["--model", "mlp", "--hidden", "16", "--batch", "64"]),
        ("sweep/logreg-b16", ["--model", "logreg", "--data", "breast-cancer", "--batch", "16"]), // one level further down, as scale nests its runs
    ];

    private readonly TempFolder _dir = new();

    public string Folder => _dir.Combine("runs");

    public void Dispose() => _dir.Dispose();
}

/// <summary>trainer dashboard: a folder's runs, finished and live, in Debian's headless chromium.</summary>
public sealed partial class DashboardCommandTests(FinishedRuns runs) : IClassFixture<FinishedRuns>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^dashboard (http://127\.0\.0\.1:(\d+)/) ", RegexOptions.Multiline)]
    private static partial Regex UrlLine();

    /// <summary>A dashboard running in this process until disposed (Ctrl-C's token): its URL once printed.</summary>
    private sealed class Dashboard : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly SharedWriter _output = new();
        private readonly Task<CliRunner.Outcome> _run;

        private Dashboard(string[] args) => _run = CliRunner.Run(_output, _stop.Token, ["dashboard", .. args]);

        public string Url { get; private set; } = "";
        public int Port { get; private set; }
        public string Output => _output.ToString();

        public static async Task<Dashboard> Start(params string[] args)
        {
            var dashboard = new Dashboard(args);
            await Eventually.Until(() => Task.FromResult(UrlLine().IsMatch(dashboard.Output) || dashboard._run.IsCompleted), Deadline, () => dashboard.Output);
            var url = UrlLine().Match(dashboard.Output);
            Assert.True(url.Success, $"no URL line: {dashboard.Output} {(dashboard._run.IsCompleted ? (await dashboard._run).Errors : "")}");
            (dashboard.Url, dashboard.Port) = (url.Groups[1].Value, int.Parse(url.Groups[2].Value));
            return dashboard;
        }

        /// <summary>Ctrl-C: the command ends with 0 and says so.</summary>
        public async Task<CliRunner.Outcome> Stop()
        {
            await _stop.CancelAsync();
            return await _run.WaitAsync(Deadline);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_run.IsCompleted) await Stop();
            _stop.Dispose();
        }
    }

    private static async Task<JsonElement> RunsJson(string url)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(url + "runs.json")).RootElement.GetProperty("runs").Clone();
    }

    private static string RowOf(string dom, string id) =>
        Regex.Match(dom, $"<tr class=\"run[^\"]*\" id=\"run-{Regex.Escape(id)}\"[^>]*>").Value;

    /// <summary>A trainer process of its own: in this process its compute threads would starve the test's.</summary>
    private sealed class TrainerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _output, _errors;

        public TrainerProcess(params string[] args)
        {
            // with Ctrl-C at its default, as a user's terminal starts it: a test run started in the background (nohup, a CI
            // runner's job) hands its children SIGINT ignored, and .NET keeps an inherited SIG_IGN, so Interrupt would go unheard
            var start = new ProcessStartInfo("env", ["--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "trainer.dll"), .. args])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            _process = Process.Start(start)!;
            (_output, _errors) = (_process.StandardOutput.ReadToEndAsync(), _process.StandardError.ReadToEndAsync());
        }

        public bool HasExited => _process.HasExited;

        /// <summary>Ctrl-C (SIGINT), as a user stops it; its exit code.</summary>
        public async Task<int> Interrupt()
        {
            using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString()])) await kill.WaitForExitAsync();
            await _process.WaitForExitAsync().WaitAsync(Deadline);
            return _process.ExitCode;
        }

        public async Task<string> Errors() => _process.HasExited ? await _errors : "(running)";

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            await Task.WhenAll(_output, _errors);
            _process.Dispose();
        }
    }

    private static JsonElement RunOf(JsonElement runs, string id) => runs.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);

    [Fact]
    public async Task The_page_shows_every_run_side_by_side_the_live_one_running_with_the_charts()
    {
        var live = Path.Combine(runs.Folder, "live");
        var progress = Path.Combine(live, "progress.json");
        // a run long enough to be watched, ended by the test as a user ends it
        await using var trainer = new TrainerProcess("train", "--cluster", "local", "--threads", "1", "--model", "mlp", "--hidden", "256,256",
            "--epochs", "100000", "--patience", "0", "--out", live);
        await Eventually.Until(() => Task.FromResult(File.Exists(progress) || trainer.HasExited), Deadline, () => "no progress.json");
        Assert.False(trainer.HasExited, await trainer.Errors());

        await using var dashboard = await Dashboard.Start(runs.Folder, "--port", "0");
        var dom = await HeadlessChromium.DumpDomAsync(dashboard.Url, 3000, Deadline);

        string[] ids = [.. FinishedRuns.Runs.Select(r => r.Name), "live"];
        Assert.All(ids, id => Assert.NotEqual("", RowOf(dom, id)));
        Assert.Equal(4, Regex.Matches(dom, "<tr class=\"run").Count);
        Assert.Contains("data-status=\"running\"", RowOf(dom, "live"));
        Assert.All(FinishedRuns.Runs, r => Assert.Contains("data-status=\"finished\"", RowOf(dom, r.Name)));
        Assert.Contains("data-epochs-done=\"2\"", RowOf(dom, "softmax-b32"));
        Assert.Matches(@"id=""chart-loss""><div class=""uplot", dom); // uPlot drew both charts, on canvas
        Assert.Matches(@"id=""chart-accuracy""><div class=""uplot", dom);
        Assert.True(Regex.Matches(dom, "<canvas").Count >= 2, dom);
        Assert.Matches(@"id=""batch-box"" hidden", dom); // no run here changes its batch

        // the live run advances on the page's data without a reload
        static int LastEpoch(JsonElement run) => run.GetProperty("points").EnumerateArray().Last().GetProperty("epoch").GetInt32();
        var first = LastEpoch(RunOf(await RunsJson(dashboard.Url), "live"));
        await Eventually.Until(async () => LastEpoch(RunOf(await RunsJson(dashboard.Url), "live")) > first,
            Deadline, () => $"the live run stayed at {first} epochs");

        // Ctrl-C of the trainer: the run is marked cancelled, not left running, and has no results
        Assert.Equal(ExitCode.Cancelled, await trainer.Interrupt());
        await Eventually.Until(async () => RunOf(await RunsJson(dashboard.Url), "live").GetProperty("status").GetString() == "cancelled",
            Deadline, () => File.ReadAllText(progress)[..200]);
        Assert.False(File.Exists(Path.Combine(live, "report.json")));

        // a trainer killed before it could say so: its file says running, but its PID is gone
        File.WriteAllText(progress, File.ReadAllText(progress).Replace("\"status\":\"cancelled\"", "\"status\":\"running\""));
        await Eventually.Until(async () => RunOf(await RunsJson(dashboard.Url), "live").GetProperty("status").GetString() == "stopped",
            Deadline, () => File.ReadAllText(progress)[..200]);

        var stopped = await dashboard.Stop();
        Assert.Equal(0, stopped.ExitCode);
        Assert.EndsWith("dashboard stopped", stopped.Output.TrimEnd());
    }

    [Fact]
    public async Task The_filters_by_model_and_by_data_set_leave_only_the_runs_that_match()
    {
        await using var dashboard = await Dashboard.Start(runs.Folder, "--port", "0");
        var all = (await RunsJson(dashboard.Url)).EnumerateArray().ToList();
        var softmax = all.Single(r => r.GetProperty("id").GetString() == "softmax-b32").GetProperty("model").GetString()!;

        var byModel = await HeadlessChromium.DumpDomAsync($"{dashboard.Url}?model={Uri.EscapeDataString(softmax)}", 3000, Deadline);
        var expected = all.Where(r => r.GetProperty("model").GetString() == softmax).Select(r => r.GetProperty("id").GetString()!).ToList();
        Assert.Equal(expected, Regex.Matches(byModel, "<tr class=\"run[^\"]*\" id=\"run-([^\"]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains($"{expected.Count} of {all.Count} runs", byModel);

        var byData = await HeadlessChromium.DumpDomAsync($"{dashboard.Url}?dataset=breast-cancer", 3000, Deadline);
        Assert.Equal(["sweep/logreg-b16"], Regex.Matches(byData, "<tr class=\"run[^\"]*\" id=\"run-([^\"]+)\"").Select(m => m.Groups[1].Value));
        Assert.Matches("<select id=\"filter-dataset\">.*<option value=\"breast-cancer\">breast-cancer</option>.*<option value=\"digits\">digits</option>", byData);

        // a run's recorded options and weights hash, one click (here: its link) away
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Folder, "mlp-b64", "report.json"))).RootElement;
        var details = await HeadlessChromium.DumpDomAsync($"{dashboard.Url}#run=mlp-b64", 3000, Deadline);
        Assert.Contains($"<code id=\"details-hash\">{report.GetProperty("weightsSha256").GetString()}</code>", details);
        Assert.Matches("<table id=\"details-options\">.*<code>hidden</code></td><td>16</td>.*<code>batch</code></td><td>64</td>", details);
    }

    [Fact]
    public async Task A_batch_auto_run_gets_a_chart_of_its_batch_and_gain_per_epoch()
    {
        using var dir = new TempFolder();
        var folder = dir.Combine("runs");
        var schedule = dir.File("schedule.json", """{"epochs": [{"epoch": 1, "batch": 32, "lrGain": 1}, {"epoch": 2, "batch": 64, "lrGain": 1.6}]}""");
        var auto = await CliRunner.Run("train", "--cluster", "local", "--threads", "1", "--epochs", "2", "--batch", "auto", "--batch-schedule", schedule,
            "--out", Path.Combine(folder, "auto"));
        Assert.True(auto.ExitCode == 0, auto.Errors);
        var fixedBatch = await CliRunner.Run("train", "--cluster", "local", "--threads", "1", "--epochs", "2", "--out", Path.Combine(folder, "fixed"));
        Assert.True(fixedBatch.ExitCode == 0, fixedBatch.Errors);

        await using var dashboard = await Dashboard.Start(folder, "--port", "0");
        var points = RunOf(await RunsJson(dashboard.Url), "auto").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([32, 64], points.Select(p => p.GetProperty("batch").GetInt32()));
        Assert.Equal([1, 1.6], points.Select(p => p.GetProperty("lrGain").GetDouble()));

        var dom = await HeadlessChromium.DumpDomAsync(dashboard.Url, 3000, Deadline);
        Assert.DoesNotMatch(@"id=""batch-box"" hidden", dom);
        Assert.Matches(@"id=""chart-batch""><div class=""uplot", dom);
        Assert.True(Regex.Matches(dom, "<canvas").Count >= 3, dom);
        Assert.Matches(@"<td class=""num"">32→64</td>", dom); // the table's batch: from the first to the last
    }

    [Fact]
    public async Task A_missing_folder_is_one_line_and_exit_2()
    {
        using var dir = new TempFolder();
        var missing = await CliRunner.Run("dashboard", dir.Combine("nope"), "--port", "0");
        Assert.Equal(ExitCode.UserError, missing.ExitCode);
        Assert.StartsWith($"error: {dir.Combine("nope")}: no such folder", Assert.Single(missing.ErrorLines));
        var file = dir.File("report.json", "{}");
        var notFolder = await CliRunner.Run("dashboard", file, "--port", "0");
        Assert.Equal($"error: {file}: is a file, expected a folder of runs", Assert.Single(notFolder.ErrorLines));
        var badBind = await CliRunner.Run("dashboard", dir.Path, "--bind", "everywhere");
        Assert.StartsWith("error: --bind 'everywhere' is not an IP address", Assert.Single(badBind.ErrorLines));
    }

    /// <summary>The addresses listening on <paramref name="port"/>, as the system sees them.</summary>
    private static IPAddress[] ListenersOn(int port) =>
        [.. IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == port).Select(e => e.Address)];

    [Fact]
    public async Task By_default_the_dashboard_listens_on_loopback_only()
    {
        await using (var dashboard = await Dashboard.Start(runs.Folder, "--port", "0"))
        {
            Assert.StartsWith("http://127.0.0.1:", dashboard.Url);
            Assert.Equal([IPAddress.Loopback], ListenersOn(dashboard.Port));
            Assert.DoesNotContain("warning", dashboard.Output);
        }
        // the check can fail: --bind 0.0.0.0 is seen listening on every interface, and warned about
        await using var open = await Dashboard.Start(runs.Folder, "--port", "0", "--bind", "0.0.0.0");
        Assert.Contains(ListenersOn(open.Port), a => !IPAddress.IsLoopback(a));
        Assert.StartsWith("warning: --bind 0.0.0.0:", open.Output);
    }
}
