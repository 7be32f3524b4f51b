using Microsoft.Extensions.Logging;

namespace Trainer.Grains.ParameterServer;

public sealed partial class ParameterServerGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} resumed at epoch {Epoch}, step {Step}")]
    private partial void JobResumed(string job, int epoch, long step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} cancelled at epoch {Epoch}, step {Step}")]
    private partial void JobCancelled(string job, int epoch, long step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: {Action} refused: {Reason}")]
    private partial void ActionRefused(string job, string action, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Limit} refused actions within {Seconds} s: further ones are counted, not logged, until the next {Seconds} s")]
    private partial void RefusalLimitReached(int limit, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} more refused actions were not logged in the last {Seconds} s")]
    private partial void RefusalsNotLogged(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job} failed")]
    private partial void JobFailed(string job, Exception error);

    /// <summary>A job ended by a fault it foresaw (bad input, divergence, a lost cluster, a checkpoint store or folder): its line, and the stack at debug level only.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} stopped: {Reason}")]
    private partial void JobStopped(string job, string reason);

    private void JobStopped(string job, string reason, Exception error)
    {
        JobStopped(job, reason);
        JobStoppedDetail(job, error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Job} stopped")]
    private partial void JobStoppedDetail(string job, Exception error);
}
