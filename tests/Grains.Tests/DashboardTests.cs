using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>trainer train --dashboard, loaded in Debian's headless chromium while the job runs.</summary>
public sealed class DashboardTests
{
    private static int LastEpochPrinted(ChildProcess trainer) =>
        Regex.Matches(trainer.Output, @"^epoch (\d+)/", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();

    [Fact]
    public async Task The_dashboard_shows_the_running_job_s_current_epoch_with_its_charts_and_placement()
    {
        var port = ChildProcess.FreePorts(1)[0];
        var work = Path.Combine(Path.GetTempPath(), "trainer-dashboard-" + Guid.NewGuid().ToString("N")[..8]);
        // a job long enough to be watched; it is ended with the test, its checkpoint left in the test's folder
        await using var trainer = await ChildProcess.StartTrainer("epoch 2/", "train", "--hidden", "16", "--epochs", "1000", "--patience", "0",
            "--job", "watched", "--dashboard", $"{port}", "--checkpoint-dir", Path.Combine(work, "checkpoints"), "--out", Path.Combine(work, "out"));
        Assert.Contains($"dashboard http://127.0.0.1:{port}/dashboard", trainer.Output);

        var before = LastEpochPrinted(trainer);
        var dom = await HeadlessChromium.DumpDomAsync($"http://127.0.0.1:{port}/dashboard", 3000, TimeSpan.FromSeconds(60));
        var after = LastEpochPrinted(trainer);

        // the epoch in progress when the page read the job: after the last one printed before, at most the one after the last printed after
        var shown = Regex.Match(dom, "class=\"epoch\" data-epoch=\"(\\d+)\" data-epochs=\"1000\"");
        Assert.True(shown.Success, dom);
        Assert.InRange(int.Parse(shown.Groups[1].Value), before, after + 1);
        Assert.Contains("id=\"job-watched\"", dom);
        Assert.Contains("parameter server: <b>S127.0.0.1:", dom); // embedded:2: the silos inside the trainer
        Assert.Contains("<circle", dom); // the completed epochs' points were drawn
        await trainer.KillAsync();
        Directory.Delete(work, true);
    }
}
