using System.Net;
using Orleans.Configuration;
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
            return silo.UseTrainerLocalhostClustering(options.SiloPort, options.GatewayPort, options.Primary ?? new IPEndPoint(IPAddress.Loopback, options.SiloPort),
                options.ServiceId, options.ClusterId, options.CheckpointDir);
        return silo.UseTrainerRedisClustering(options.Cluster["redis://".Length..].TrimEnd('/'), options.Advertise, options.SiloPort, options.GatewayPort,
            options.ServiceId, options.ClusterId);
    }
}
