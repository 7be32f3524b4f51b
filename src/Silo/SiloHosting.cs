using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>The wiring of a silo process: settings, logging, clustering and the product's grains.</summary>
public static class SiloHosting
{
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The host, with the default configuration (appsettings.json from <paramref name="contentRoot"/>,
    /// environment variables, Orleans__* among them) but no command-line source: the command line is
    /// System.CommandLine's (<see cref="SiloCommandLine"/>), which refuses what the provider would ignore.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string contentRoot) =>
        Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot });

    /// <summary>
    /// Adds the silo: its settings from <paramref name="commandLine"/> (options by name), the TRAINER_*
    /// variables and appsettings.json, bound to <see cref="SiloSettings"/> and validated at start. The
    /// wiring needs them now (which membership, whether probes run), so they are read here too, by the
    /// same rules: a bad one is the <paramref name="error"/>.
    /// </summary>
    public static bool TryAddTrainerSilo(this HostApplicationBuilder builder, IReadOnlyDictionary<string, string?> commandLine,
        out SiloOptions options, out string? error)
    {
        builder.Configuration.AddSiloSettings(commandLine, Environment.GetEnvironmentVariable);
        builder.Services.AddOptions<SiloSettings>().BindConfiguration(SiloSettings.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiloSettings>>(new SiloSettingsValidator(Environment.GetEnvironmentVariable));
        try
        {
            options = SiloOptions.From(SiloSettings.Read(builder.Configuration));
        }
        catch (SiloOptionsException e)
        {
            (options, error) = (null!, e.Message);
            return false;
        }
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.None);
        Trainer.Grains.Hosting.SiloSetup.QuietCheckpointErrors(builder.Logging);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true); // a record is one line: an exception's message and stack go on that same line, not after it
        // a failed start surfaces as its exception (one line for a bad setting), not as a logged stack trace too
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        var settings = options;
        // Hosted services stop in reverse order: the drain delay first, then the silo, the probes last.
        var service = $"trainer-silo {settings.SiloName ?? $"{settings.Advertise}:{settings.SiloPort}"}";
        if (settings.HealthPort is { } port)
            builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<HealthEndpoint>(services, port));
        if (settings.MetricsPort is { } metricsPort)
            builder.Services.AddHostedService(services => new MetricsEndpoint(settings.MetricsAddress, metricsPort, settings.Tls, service,
                services.GetRequiredService<Trainer.Grains.Dashboard.JobBoard>()));
        Action<Orleans.Connections.Security.TlsOptions>? configureTls;
        try { configureTls = settings.Tls?.Configure(); } // certificates read now: a bad one is a one-line error
        catch (Trainer.Core.UserInputException e) { (options, error) = (null!, e.Message); return false; }
        // a silo process reads only its data roots and admits what its limits allow (an embedded cluster's silos read anywhere)
        builder.Services.AddSingleton(Trainer.Grains.Admission.DataRoots.Only(settings.DataRoots));
        builder.Services.AddSingleton(new Trainer.Grains.Admission.SiloAdmission(settings.MemoryLimit, settings.MaxJobs));
        IReadOnlyList<string> operators;
        try { operators = settings.ReadOperators(); }
        catch (SiloOptionsException e) { (options, error) = (null!, e.Message); return false; }
        builder.Services.AddSingleton(settings.Tls is { } tls // with mutual TLS a job is its starter's certificate's
            ? Trainer.Grains.Admission.JobOwnership.Enforce(tls.Ca(), operators)
            : Trainer.Grains.Admission.JobOwnership.Open);
        builder.UseOrleans(silo =>
        {
            silo.AddTrainerClustering(settings).AddTrainerGrains();
            if (settings.StorePatience is { } patience) silo.Services.AddSingleton(new CheckpointPatience(patience));
            if (configureTls is not null)
            {
                TlsHandshakeLog.Before(silo); // one line per failed handshake, around Orleans's TLS
                silo.UseTls(configureTls);
                TlsHandshakeLog.After(silo);
            }
            if (settings.SiloName is { } name) silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = name);
        });
        builder.Services.AddSingleton<IFatalErrorHandler, FatalExit>(); // after Orleans's own: the last registration is the one used
        builder.Services.AddHostedService(services => new DrainDelay(settings.DrainDelay, services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<ILocalSiloDetails>()));
        if (settings.Telemetry != TelemetrySetup.None)
        {
            try { builder.Services.AddSingleton(TelemetrySetup.Start(settings.Telemetry, settings.OtlpEndpoint, service)); }
            catch (Trainer.Core.UserInputException e) { (options, error) = (null!, e.Message); return false; }
        }
        // The silo's own graceful shutdown (leaving membership, deactivating grains) gets this long;
        // a pod's terminationGracePeriodSeconds must exceed it plus the drain delay.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        error = null;
        return true;
    }
}
