using Microsoft.Extensions.Logging;

namespace Trainer.Silo;

public sealed partial class HealthEndpoint
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "A health probe's connection was lost")]
    private partial void ProbeConnectionLost(Exception error);
}
