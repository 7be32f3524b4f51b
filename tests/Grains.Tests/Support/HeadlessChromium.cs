using System.Diagnostics;

namespace Trainer.Grains.Tests.Support;

/// <summary>Debian's chromium, headless: a page's DOM after its scripts ran, in a throw-away profile.</summary>
internal static class HeadlessChromium
{
    private const string Binary = "/usr/bin/chromium";

    /// <summary>
    /// Loads <paramref name="url"/> and returns the DOM once the page's timers have had
    /// <paramref name="virtualMilliseconds"/> of virtual time (fetches pause that clock, so the
    /// page's first answers are in); the browser is killed if it is not done by the deadline.
    /// </summary>
    public static async Task<string> DumpDomAsync(string url, int virtualMilliseconds, TimeSpan deadline)
    {
        Assert.True(File.Exists(Binary), "chromium is not installed: 'apt-get install chromium' (./test.sh does)");
        var profile = Directory.CreateTempSubdirectory("trainer-chromium-").FullName;
        // --no-sandbox: tests may run as root, where chromium's sandbox refuses to start
        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile}",
                     $"--virtual-time-budget={virtualMilliseconds}", "--dump-dom", url })
            start.ArgumentList.Add(arg);
        using var browser = Process.Start(start)!;
        var dom = browser.StandardOutput.ReadToEndAsync();
        var errors = browser.StandardError.ReadToEndAsync();
        try
        {
            await browser.WaitForExitAsync().WaitAsync(deadline);
            Assert.True(browser.ExitCode == 0, $"chromium exited {browser.ExitCode}: {await errors}");
            return await dom;
        }
        finally
        {
            if (!browser.HasExited)
            {
                browser.Kill(entireProcessTree: true);
                await browser.WaitForExitAsync();
            }
            Directory.Delete(profile, true);
        }
    }
}
