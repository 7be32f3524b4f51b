using Trainer.Grains.Hosting;

namespace Trainer.Grains.Admission;

/// <summary>
/// The silo's budget for its lines about refused actions (another certificate's status, cancel, resume):
/// one for all jobs, so that a certificate holder who calls again and again cannot flood the log.
/// </summary>
public sealed class RefusalLog(TimeProvider time)
{
    public LogBudget Budget { get; } = new(time);
}
