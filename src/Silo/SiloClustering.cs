using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Trainer.Silo;

/// <summary>Membership for a silo process: localhost clustering (a primary silo) or a Redis membership table.</summary>
public static class SiloClustering
{
    public static ISiloBuilder AddTrainerClustering(this ISiloBuilder silo, SiloOptions options)
    {
        if (options.Cluster == "localhost")
        {
            var primary = options.Primary ?? new IPEndPoint(IPAddress.Loopback, options.SiloPort);
            return silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
        }
        var redis = options.Cluster["redis://".Length..].TrimEnd('/');
        return silo
            .UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis))
            .Configure<ClusterOptions>(o => { o.ServiceId = options.ServiceId; o.ClusterId = options.ClusterId; })
            .ConfigureEndpoints(options.Advertise, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !options.Advertise.Equals(IPAddress.Loopback));
    }
}
