using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace Trainer.Grains.Checkpoints;

/// <summary>The "checkpoints" grain storage: files in a folder (embedded and localhost clusters) or Redis (with Redis membership).</summary>
public static class CheckpointStorage
{
    public const string Name = "checkpoints";

    /// <summary>Where checkpoints go unless told: $TRAINER_CHECKPOINTS, else ~/.local/share/trainer/checkpoints.</summary>
    public static string DefaultFolder =>
        Environment.GetEnvironmentVariable("TRAINER_CHECKPOINTS") is { Length: > 0 } folder ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "trainer", "checkpoints");

    public static ISiloBuilder AddFileCheckpoints(this ISiloBuilder silo, string folder)
    {
        silo.Services.AddGrainStorage(Name, (services, _) =>
            new FileGrainStorage(folder, services.GetRequiredService<Serializer>(), services.GetRequiredService<ILoggerFactory>().CreateLogger(FileGrainStorage.LogCategory)));
        return silo;
    }

    public static ISiloBuilder AddRedisCheckpoints(this ISiloBuilder silo, string redisEndpoint)
    {
        silo.AddRedisGrainStorage(Name, options => options.Configure<Serializer>((o, serializer) =>
        {
            o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redisEndpoint);
            // While Redis is out, a write fails at once rather than waiting 5 s in the client's backlog:
            // the job puts the checkpoint off and trains on (CheckpointWriter), so waiting only stalls it.
            o.ConfigurationOptions.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer); // binary: weights stay raw float32
        }));
        return silo;
    }
}
