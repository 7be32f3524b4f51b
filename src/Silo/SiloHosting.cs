using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>The wiring of a silo process: settings, logging, clustering and the product's grains.</summary>
public static class SiloHosting
{
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    public static bool TryAddTrainerSilo(this HostApplicationBuilder builder, out SiloOptions options, out string? error)
    {
        builder.Configuration.AddEnvironmentVariables("TRAINER_");
        try
        {
            options = SiloOptions.From(builder.Configuration);
        }
        catch (SiloOptionsException e)
        {
            (options, error) = (null!, e.Message);
            return false;
        }
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.None);
        // a failed start surfaces as its exception (one line for a bad setting), not as a logged stack trace too
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        var settings = options;
        // Hosted services stop in reverse order: the drain delay first, then the silo, the probes last.
        if (settings.HealthPort is { } port)
            builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<HealthEndpoint>(services, port));
        Action<Orleans.Connections.Security.TlsOptions>? configureTls;
        try { configureTls = settings.Tls?.Configure(); } // certificates read now: a bad one is a one-line error
        catch (Trainer.Core.UserInputException e) { (options, error) = (null!, e.Message); return false; }
        builder.UseOrleans(silo =>
        {
            silo.AddTrainerClustering(settings).AddTrainerGrains();
            if (configureTls is not null) silo.UseTls(configureTls);
            if (settings.SiloName is { } name) silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = name);
        });
        builder.Services.AddSingleton<IFatalErrorHandler, FatalExit>(); // after Orleans's own: the last registration is the one used
        builder.Services.AddHostedService(services => new DrainDelay(settings.DrainDelay, services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<ILocalSiloDetails>()));
        if (settings.Telemetry != TelemetrySetup.None)
        {
            try { builder.Services.AddSingleton(TelemetrySetup.Start(settings.Telemetry, settings.OtlpEndpoint, $"trainer-silo {settings.SiloName ?? $"{settings.Advertise}:{settings.SiloPort}"}")); }
            catch (Trainer.Core.UserInputException e) { (options, error) = (null!, e.Message); return false; }
        }
        // The silo's own graceful shutdown (leaving membership, deactivating grains) gets this long;
        // a pod's terminationGracePeriodSeconds must exceed it plus the drain delay.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        error = null;
        return true;
    }
}
