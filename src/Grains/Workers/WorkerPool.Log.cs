using Microsoft.Extensions.Logging;

namespace Trainer.Grains.Workers;

public sealed partial class WorkerPool
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Index} was lost; replacing it")]
    private partial void WorkerLost(int index, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Index} could not be set up again; retrying")]
    private partial void WorkerSetupFailed(int index, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: partitions cut again by the workers' speeds, {Counts} per worker")]
    private partial void Resplit(string job, string counts);
}
