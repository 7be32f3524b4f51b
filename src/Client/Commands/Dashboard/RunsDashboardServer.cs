using System.Net;
using System.Text.Json;
using Trainer.Grains.Dashboard;

namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// trainer dashboard's HTTP side: the page (<see cref="DashboardAssets"/>), <c>/runs.json</c> (the
/// folder's runs, scanned again when the last scan is older than <see cref="Rescan"/>: the page polls
/// it, so the folder is read as often as someone looks) and <c>/file?run=ID&amp;name=NAME</c> (a
/// run's report.json or curves.png; only those names, only of runs the scan found).
/// </summary>
public sealed class RunsDashboardServer : IDisposable
{
    public static readonly TimeSpan Rescan = TimeSpan.FromSeconds(1);
    private static readonly string[] Served = ["report.json", "curves.png"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly RunsFolderScanner _scanner;
    private readonly PageServer _server;
    private readonly ClusterWatch? _cluster;
    private RunsSnapshot? _last;

    private RunsDashboardServer(RunsFolderScanner scanner, ClusterWatch? cluster, string option, IPAddress address, int port)
    {
        (_scanner, _cluster) = (scanner, cluster);
        _server = PageServer.Start(option, address, port, Answer);
    }

    /// <summary>Serves the folder's runs (and <paramref name="cluster"/>'s jobs); a port that cannot be had is a one-line error naming <paramref name="option"/>.</summary>
    public static RunsDashboardServer Start(RunsFolderScanner scanner, ClusterWatch? cluster, string option, IPAddress address, int port) =>
        new(scanner, cluster, option, address, port);

    public string Url => $"{_server.Root}/";

    public int Port => _server.Port;

    /// <summary>The runs as last scanned, scanned again when that is older than <see cref="Rescan"/>.</summary>
    public RunsSnapshot Snapshot()
    {
        // one request at a time (PageServer answers in turn): no lock needed
        if (_last is null || DateTime.UtcNow - _last.Scanned >= Rescan) _last = _scanner.Scan();
        return _cluster is null ? _last : _last with { Cluster = _cluster.Current };
    }

    private bool Answer(HttpListenerContext context)
    {
        var path = context.Request.Url?.AbsolutePath ?? "/";
        if (path == "/runs.json")
        {
            PageServer.Send(context, "application/json", JsonSerializer.SerializeToUtf8Bytes(Snapshot(), Json));
            return true;
        }
        if (path == "/file") return SendRunFile(context);
        if (DashboardAssets.For(path) is not var (type, body)) return false;
        PageServer.Send(context, type, body);
        return true;
    }

    private bool SendRunFile(HttpListenerContext context)
    {
        var (id, name) = (context.Request.QueryString["run"], context.Request.QueryString["name"]);
        if (!Served.Contains(name) || _scanner.FolderOf(id) is not { } folder) return false;
        var file = Path.Combine(folder, name!);
        byte[] body;
        try { body = File.ReadAllBytes(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        PageServer.Send(context, name!.EndsWith(".png") ? "image/png" : "application/json", body);
        return true;
    }

    public void Dispose() => _server.Dispose();
}
