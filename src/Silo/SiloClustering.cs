using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// Membership and checkpoints for a silo process: localhost clustering (a primary silo) with
/// checkpoint files, or a Redis membership table with checkpoints in Redis.
/// </summary>
public static class SiloClustering
{
    public static ISiloBuilder AddTrainerClustering(this ISiloBuilder silo, SiloOptions options)
    {
        if (options.FastFailureDetection) silo.Configure<ClusterMembershipOptions>(SiloSetup.FastFailureDetection);
        if (options.Cluster == "localhost")
        {
            var primary = options.Primary ?? new IPEndPoint(IPAddress.Loopback, options.SiloPort);
            return silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId)
                .AddFileCheckpoints(options.CheckpointDir);
        }
        var redis = options.Cluster["redis://".Length..].TrimEnd('/');
        return silo
            .UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis))
            .Configure<ClusterOptions>(o => { o.ServiceId = options.ServiceId; o.ClusterId = options.ClusterId; })
            .ConfigureEndpoints(options.Advertise, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !options.Advertise.Equals(IPAddress.Loopback))
            .AddRedisCheckpoints(redis);
    }
}
