using Microsoft.Extensions.Logging;

namespace Trainer.Grains.Checkpoints;

public sealed partial class FileGrainStorage
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Damage}; using the previous checkpoint {Path}")]
    private partial void DamagedCheckpoint(string damage, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "checkpoint {Path} not written: {Problem}")]
    private partial void WriteFailed(string path, string problem, Exception exception);
}
