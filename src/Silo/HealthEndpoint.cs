using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trainer.Grains.Dashboard;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// The probes of a pod, over plain HTTP on --health-port: <c>/live</c> answers 200 while the
/// process runs; <c>/ready</c> answers 200 once the silo has started and 503 from the moment it
/// is asked to stop (SIGTERM), so Kubernetes stops routing to it while it drains. Registered
/// before the silo, it is stopped after it: the probes keep answering through the drain.
/// It listens on every interface, as the kubelet probes the pod's address, so it tells nothing about
/// jobs: /metrics and /dashboard are on --metrics-port (<see cref="MetricsEndpoint"/>).
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
            _ => (404, $"not found; probes: {LivePath}, {ReadyPath}; {PrometheusMetrics.Path} and {DashboardPage.Path} are on the silo's --metrics-port"),
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
/// On SIGTERM, before the silo shuts down: every running job moves its workers off this silo (a
/// handover at a step boundary, with nothing to redo), and --drain-delay (5 s in a pod) passes, in
/// which the pod already reports not ready so that Kubernetes takes it out of rotation. Registered
/// after the silo, it is the first to stop, while the silo still works.
/// </summary>
public sealed class DrainDelay(TimeSpan delay, IGrainFactory grains, ILocalSiloDetails silo) : IHostedService
{
    /// <summary>How long the jobs get to move their workers away.</summary>
    public static readonly TimeSpan HandoverPatience = TimeSpan.FromSeconds(30);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var handover = Handover();
        await Task.WhenAll(handover, delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask);
    }

    private async Task Handover()
    {
        try { await grains.GetGrain<Trainer.Grains.IJobRegistryGrain>(0).SiloLeaving(silo.SiloAddress, HandoverPatience).WaitAsync(HandoverPatience + TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (Trainer.Grains.Hosting.ClusterFaults.IsLoss(e) || e is OrleansException) { /* the jobs lose this silo's workers as to a crash */ }
    }
}
