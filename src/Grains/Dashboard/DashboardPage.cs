using System.Net;
using System.Text;
using System.Text.Json;

namespace Trainer.Grains.Dashboard;

/// <summary>
/// The dashboard over HTTP: <c>/dashboard</c> is one self-contained page (its script draws SVG
/// charts of its own, nothing is fetched from elsewhere) that reads <c>/dashboard/jobs.json</c>
/// every second. The trainer's --dashboard port and a silo's --metrics-port both answer with it.
/// </summary>
public static class DashboardPage
{
    public const string Path = "/dashboard", DataPath = "/dashboard/jobs.json";

    private static readonly byte[] Html = ReadPage();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The page or its data for a request's path, with its content type; null for any other path.</summary>
    public static (string Type, byte[] Body)? For(string? path, JobBoard board) => path?.TrimEnd('/') switch
    {
        Path => ("text/html; charset=utf-8", Html),
        DataPath => ("application/json", JsonSerializer.SerializeToUtf8Bytes(new { jobs = board.Snapshot() }, Json)),
        _ => null,
    };

    /// <summary>Answers a request for the page or its data; false for any other path.</summary>
    public static bool TryAnswer(HttpListenerContext context, JobBoard board)
    {
        if (For(context.Request.Url?.AbsolutePath, board) is not var (type, body)) return false;
        PageServer.Send(context, type, body);
        return true;
    }

    private static byte[] ReadPage()
    {
        using var stream = typeof(DashboardPage).Assembly.GetManifestResourceStream("Trainer.Grains.Dashboard.dashboard.html")
                           ?? throw new InvalidOperationException("the dashboard page is not embedded in Trainer.Grains");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Encoding.UTF8.GetBytes(reader.ReadToEnd());
    }
}
