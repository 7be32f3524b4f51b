using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trainer.Core;

namespace Trainer.Grains.Dashboard;

/// <summary>
/// trainer train --dashboard PORT: the dashboard (<see cref="DashboardPage"/>) of the board's jobs on
/// 127.0.0.1:PORT, until disposed. Loopback only, as the trainer is a workstation's command; a silo
/// serves the same page on its --metrics-port.
/// </summary>
public sealed partial class DashboardServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly JobBoard _board;
    private readonly Task _serving;
    private readonly ILogger _logger;

    private DashboardServer(JobBoard board, int port, ILogger logger)
    {
        (_board, _logger) = (board, logger);
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>Serves the page; a port that cannot be had is a one-line error naming <paramref name="option"/>.</summary>
    public static DashboardServer Start(string option, int port, JobBoard board, ILogger? logger = null)
    {
        try { return new DashboardServer(board, port, logger ?? NullLogger.Instance); }
        catch (HttpListenerException e) { throw new UserInputException($"{option} {port}: cannot listen ({e.Message})"); }
    }

    public JobBoard Board => _board;

    public string Url => $"{_listener.Prefixes.First().TrimEnd('/')}{DashboardPage.Path}";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                if (context.Request.Url?.AbsolutePath == "/") Redirect(context);
                else if (!DashboardPage.TryAnswer(context, _board)) NotFound(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException) { ConnectionLost(e); }
        }
    }

    private static void Redirect(HttpListenerContext context)
    {
        context.Response.Redirect(DashboardPage.Path);
        context.Response.Close();
    }

    private static void NotFound(HttpListenerContext context)
    {
        context.Response.StatusCode = 404;
        context.Response.Close();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A dashboard connection was lost")]
    private partial void ConnectionLost(Exception error);

    public void Dispose()
    {
        _listener.Stop();
        _serving.Wait();
        _listener.Close();
    }
}
