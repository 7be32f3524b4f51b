using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>The wiring of a silo process: settings, logging, clustering and the product's grains.</summary>
public static class SiloHosting
{
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
        var settings = options;
        builder.UseOrleans(silo => silo.AddTrainerClustering(settings).AddTrainerGrains());
        error = null;
        return true;
    }
}
