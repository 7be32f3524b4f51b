using System.Net;
using Microsoft.Extensions.Logging;

namespace Trainer.Grains.Dashboard;

/// <summary>
/// trainer train --dashboard PORT: the dashboard (<see cref="DashboardPage"/>) of the board's jobs on
/// 127.0.0.1:PORT, until disposed. Loopback only, as the trainer is a workstation's command; a silo
/// serves the same page on its --metrics-port.
/// </summary>
public sealed class DashboardServer : IDisposable
{
    private readonly PageServer _server;

    private DashboardServer(PageServer server, JobBoard board) => (_server, Board) = (server, board);

    /// <summary>Serves the page; a port that cannot be had is a one-line error naming <paramref name="option"/>.</summary>
    public static DashboardServer Start(string option, int port, JobBoard board, ILogger? logger = null)
    {
        var server = PageServer.Start(option, IPAddress.Loopback, port, context =>
        {
            if (context.Request.Url?.AbsolutePath != "/") return DashboardPage.TryAnswer(context, board);
            PageServer.Redirect(context, DashboardPage.Path);
            return true;
        }, logger);
        return new DashboardServer(server, board);
    }

    public JobBoard Board { get; }

    public string Url => $"{_server.Root}{DashboardPage.Path}";

    public void Dispose() => _server.Dispose();
}
