using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trainer.Core;

namespace Trainer.Grains.Dashboard;

/// <summary>
/// A small HTTP server for a workstation's pages (train --dashboard, trainer dashboard): one address
/// and port, each request given to <c>answer</c> (false: 404), until disposed. Port 0 takes a free one.
/// </summary>
public sealed partial class PageServer : IDisposable
{
    /// <summary>Answers a request; false for a path it does not serve.</summary>
    public delegate bool Answer(HttpListenerContext context);

    private readonly HttpListener _listener;
    private readonly Answer _answer;
    private readonly Task _serving;
    private readonly ILogger _logger;

    private PageServer(HttpListener listener, Answer answer, ILogger logger)
    {
        (_listener, _answer, _logger) = (listener, answer, logger);
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/>; an address or port that cannot be
    /// had is a one-line error naming <paramref name="option"/>.
    /// </summary>
    public static PageServer Start(string option, IPAddress address, int port, Answer answer, ILogger? logger = null)
    {
        // HttpListener takes no port 0: ask the system for a free port, and again if another took it meanwhile
        for (var attempt = 0; ; attempt++)
        {
            var listener = new HttpListener();
            var chosen = port == 0 ? FreePort(address) : port;
            listener.Prefixes.Add($"http://{Host(address)}:{chosen}/");
            try
            {
                listener.Start();
                return new PageServer(listener, answer, logger ?? NullLogger.Instance) { Address = address, Port = chosen };
            }
            catch (HttpListenerException e)
            {
                listener.Close();
                if (port == 0 && attempt < 5) continue;
                throw new UserInputException($"{option} {port}: cannot listen ({e.Message})");
            }
        }
    }

    public IPAddress Address { get; private init; } = IPAddress.Loopback;

    public int Port { get; private init; }

    /// <summary>The server's root, as a browser on this machine reaches it.</summary>
    public string Root => $"http://{Reachable(Address)}:{Port}";

    /// <summary>Writes a whole response.</summary>
    public static void Send(HttpListenerContext context, string type, byte[] body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        context.Response.Headers["Cache-Control"] = "no-store";
        context.Response.ContentLength64 = body.Length;
        context.Response.OutputStream.Write(body);
        context.Response.Close();
    }

    public static void Redirect(HttpListenerContext context, string path)
    {
        context.Response.Redirect(path);
        context.Response.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                if (!_answer(context))
                {
                    context.Response.StatusCode = 404;
                    context.Response.Close();
                }
            }
            catch (Exception e) when (e is HttpListenerException or IOException) { ConnectionLost(e); }
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The prefix's host: HttpListener listens on every interface for "*", on the one address otherwise.</summary>
    private static string Host(IPAddress address) =>
        address.Equals(IPAddress.Any) ? "*" : address.Equals(IPAddress.IPv6Any) ? "*" : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    private static string Reachable(IPAddress address) =>
        address.Equals(IPAddress.Any) ? "127.0.0.1" : address.Equals(IPAddress.IPv6Any) ? "[::1]" : Host(address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A page's connection was lost")]
    private partial void ConnectionLost(Exception error);

    public void Dispose()
    {
        _listener.Stop();
        _serving.Wait();
        _listener.Close();
    }
}
