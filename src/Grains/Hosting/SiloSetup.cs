using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Trainer.Grains.Dashboard;
using Microsoft.Extensions.Hosting;
using Trainer.Grains.Checkpoints;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport.Sockets;

namespace Trainer.Grains.Hosting;

/// <summary>
/// What every silo of the product needs, whatever its clustering: serialization, placement, and its
/// policy (data roots, admission, job ownership). A silo process registers its own policy first;
/// an embedded cluster's silos read anywhere and admit what the machine holds.
/// </summary>
public static class SiloSetup
{
    public const string DefaultServiceId = "trainer";
    public const string DefaultClusterId = "trainer";

    public static ISiloBuilder AddTrainerGrains(this ISiloBuilder silo)
    {
        silo.Services.AddSerializer(serializer => serializer.AddTrainerSerialization());
        silo.Services.TryAddSingleton(Admission.DataRoots.Anywhere);
        silo.Services.TryAddSingleton(_ => Admission.SiloAdmission.Unlimited());
        silo.Services.TryAddSingleton(Admission.JobOwnership.Open);
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddSingleton<Admission.RefusalLog>(); // refusals logged ten a minute at most, over all jobs
        silo.Services.TryAddSingleton(new CheckpointPatience(CheckpointWriter.DefaultPatience));
        silo.Services.TryAddSingleton<JobBoard>(); // the dashboard of the jobs whose parameter server runs here
        silo.Services.AddPlacementDirector<SpreadPlacementStrategy, SpreadPlacementDirector>();
        BulkSocketTransport.AddToSilo(silo.Services);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, Transport.InProcessSilo>(); // vectors between silos of this process go by handle
        UseConsistentDirectory(silo);
        silo.AddIncomingGrainCallFilter<Admission.ClusterInternalFilter>(); // before anything else: a client never reaches a worker, a shard or a report
        silo.AddIncomingGrainCallFilter<JobFaultFilter>();
        silo.AddActivityPropagation(); // Orleans's call spans join the product's (a no-op without a listener)
        return silo;
    }

    /// <summary>
    /// The strongly consistent grain directory (Orleans 9+, still marked experimental). Orleans's
    /// default directory deactivates every activation whose directory entry a silo held the moment that
    /// silo starts shutting down: a SIGTERM'd silo took workers and servers on the other silos with it
    /// (a fresh activation then answered the next step "has no job"). This one hands the silo's part
    /// of the directory over instead. Every silo of a cluster must use the same directory.
    /// </summary>
    private static void UseConsistentDirectory(ISiloBuilder silo)
    {
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
    }

    /// <summary>Localhost clustering (one silo is the primary) with checkpoints in files.</summary>
    public static ISiloBuilder UseTrainerLocalhostClustering(this ISiloBuilder silo, int siloPort, int gatewayPort, IPEndPoint primary,
        string serviceId, string clusterId, string checkpoints) =>
        silo.UseLocalhostClustering(siloPort, gatewayPort, primary, serviceId, clusterId).AddFileCheckpoints(checkpoints);

    /// <summary>A Redis membership table (no silo is a single point of failure) with checkpoints in Redis.</summary>
    public static ISiloBuilder UseTrainerRedisClustering(this ISiloBuilder silo, string redis, IPAddress advertise, int siloPort, int gatewayPort,
        string serviceId, string clusterId) =>
        silo.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis))
            .Configure<ClusterOptions>(o => { o.ServiceId = serviceId; o.ClusterId = clusterId; })
            .ConfigureEndpoints(advertise, siloPort, gatewayPort, listenOnAnyHostAddress: !advertise.Equals(IPAddress.Loopback))
            .AddRedisCheckpoints(redis);

    /// <summary>
    /// Failure detection that notices a dead silo within seconds (Orleans's defaults take about a
    /// minute): probes every second, a silo declared dead after two missed probes and one vote.
    /// Fine on a LAN or one machine; raise them on a loaded or distant network.
    /// </summary>
    public static void FastFailureDetection(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.NumMissedProbesLimit = 2;
        options.NumVotesForDeathDeclaration = 1;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
    }

    public static IClientBuilder AddTrainerClient(this IClientBuilder client)
    {
        client.Services.AddSerializer(serializer => serializer.AddTrainerSerialization());
        BulkSocketTransport.AddToClient(client.Services);
        client.AddActivityPropagation();
        return client;
    }

    /// <summary>Logging for hosts inside the CLI: errors only, and never the start-up Watchdog noise (docs/architecture.md, Orleans facts).</summary>
    public static void ConfigureQuietLogging(ILoggingBuilder logging, LogLevel level) =>
        QuietCheckpointErrors(logging.AddConsole().SetMinimumLevel(level).AddFilter("Orleans.Runtime.Watchdog", LogLevel.None));

    /// <summary>
    /// Orleans logs every failed write of grain storage as an error with its stack, under the store's
    /// type name, before the grain sees the exception: a full disk printed 40 of them. The file store
    /// logs under a category of its own (<see cref="FileGrainStorage.LogCategory"/>), the exception at
    /// debug level, and the job says what went wrong in one line (or fails with the exception, if it is a bug).
    /// </summary>
    public static ILoggingBuilder QuietCheckpointErrors(ILoggingBuilder logging) =>
        logging.AddFilter(typeof(FileGrainStorage).FullName, LogLevel.None);
}
