using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Trainer.Silo;

/// <summary>
/// The probes of a pod, over plain HTTP on --health-port: <c>/live</c> answers 200 while the
/// process runs; <c>/ready</c> answers 200 once the silo has started and 503 from the moment it
/// is asked to stop (SIGTERM), so Kubernetes stops routing to it while it drains. Registered
/// before the silo, it is stopped after it: the probes keep answering through the drain.
/// </summary>
public sealed partial class HealthEndpoint(int port, IHostApplicationLifetime lifetime, ILogger<HealthEndpoint> logger) : IHostedService
{
    public const string LivePath = "/live", ReadyPath = "/ready";

    private readonly HttpListener _listener = new();
    private Task _serving = Task.CompletedTask;
    private volatile string _state = "starting";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Prefixes.Add($"http://*:{port}/");
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException e)
        {
            throw new SiloOptionsException($"--health-port {port}: cannot listen ({e.Message})");
        }
        lifetime.ApplicationStarted.Register(() => _state = "ready");
        lifetime.ApplicationStopping.Register(() => _state = "draining");
        _serving = Task.Run(ServeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener.Stop();
        await _serving;
        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Answer(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { ProbeConnectionLost(e); }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var state = _state;
        var (status, body) = context.Request.Url?.AbsolutePath switch
        {
            LivePath => (200, "live"),
            ReadyPath => (state == "ready" ? 200 : 503, state),
            _ => (404, $"not found; probes: {LivePath}, {ReadyPath}"),
        };
        var bytes = Encoding.UTF8.GetBytes(body + "\n");
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }
}

/// <summary>
/// On SIGTERM, waits --drain-delay (5 s in a pod) before the silo shuts down: the pod already
/// reports not ready, and the delay lets Kubernetes take it out of rotation first. Registered
/// after the silo, it is the first to stop.
/// </summary>
public sealed class DrainDelay(TimeSpan delay) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
}
