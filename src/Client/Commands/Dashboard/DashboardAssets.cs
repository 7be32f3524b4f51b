namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// The files the dashboard serves besides runs.json: its page and the vendored uPlot
/// (wwwroot/README.md), embedded in trainer so that nothing is fetched from elsewhere at run time.
/// </summary>
public static class DashboardAssets
{
    private static readonly Dictionary<string, (string Type, byte[] Body)> Files = new()
    {
        ["/"] = Load("runs.html", "text/html; charset=utf-8"),
        ["/uPlot.iife.min.js"] = Load("uPlot.iife.min.js", "text/javascript; charset=utf-8"),
        ["/uPlot.min.css"] = Load("uPlot.min.css", "text/css; charset=utf-8"),
        ["/uPlot.LICENSE"] = Load("uPlot.LICENSE", "text/plain; charset=utf-8"),
    };

    /// <summary>The file for a request's path, with its content type; null for any other path.</summary>
    public static (string Type, byte[] Body)? For(string path) => Files.TryGetValue(path, out var file) ? file : null;

    private static (string, byte[]) Load(string name, string type)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"Trainer.Client.Dashboard.{name}")
                           ?? throw new InvalidOperationException($"{name} is not embedded in trainer");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return (type, copy.ToArray());
    }
}
