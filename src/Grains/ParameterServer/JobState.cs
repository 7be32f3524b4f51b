using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The parameter server's state, which its checkpoint is: the grain trains these weights in place,
/// its update works on <see cref="Update"/> and its training loop on <see cref="Loop"/>; writing the
/// grain's persistent state is taking a checkpoint. Everything else the server holds (the network,
/// the workers' references, scratch buffers) is made again from this. The data order needs no state:
/// it is a function of (seed, partition, epoch).
/// </summary>
[GenerateSerializer, Alias("trainer.job-state")]
public sealed class JobState
{
    [Id(0)] public JobSpec? Spec { get; set; }
    [Id(1)] public FloatVector? Weights { get; set; }
    /// <summary>The update's step, velocity, divergence reference and noise-scale averages.</summary>
    [Id(2)] public UpdateState? Update { get; set; }
    /// <summary>Updates applied so far: the version of the weights (staleness is counted in versions).</summary>
    [Id(3)] public long Version { get; set; }
    /// <summary>The epoch being run, or the last one run.</summary>
    [Id(4)] public int Epoch { get; set; }
    /// <summary>Steps of <see cref="Epoch"/> already applied.</summary>
    [Id(5)] public int StepInEpoch { get; set; }
    [Id(6)] public EpochTotals Totals { get; set; } = new();
    /// <summary>The training loop's epochs, early stopping's memory and best weights.</summary>
    [Id(7)] public LoopState? Loop { get; set; }
    /// <summary>How often each worker was replaced: part of the workers' grain keys.</summary>
    [Id(8)] public int[]? Generations { get; set; }
    /// <summary>--batch auto: the batch range and the (epoch → batch, gain) schedule with each decision's inputs, recorded before the epoch's first step.</summary>
    [Id(9)] public Core.Scaling.BatchScheduleState? BatchSchedule { get; set; }

    /// <summary>Set by a storage that had to fall back to an older checkpoint; never stored.</summary>
    [NonSerialized] public string? RecoveryNote;
}

/// <summary>Running sums of one epoch's steps (or updates, in async modes), kept in checkpoints.</summary>
[GenerateSerializer, Alias("trainer.epoch-totals")]
public sealed class EpochTotals
{
    [Id(0)] public double Loss { get; set; }
    [Id(1)] public long Rows { get; set; }
    [Id(2)] public double Compute { get; set; }
    [Id(3)] public double Communication { get; set; }
    [Id(4)] public double Update { get; set; }
    [Id(5)] public long Bytes { get; set; }
    [Id(6)] public double Staleness { get; set; }
    [Id(7)] public int MaxStaleness { get; set; }
    [Id(8)] public long Rounds { get; set; }
    [Id(9)] public double Seconds { get; set; }
    [Id(10)] public double LastLoss { get; set; }
    /// <summary>Time spent writing checkpoints during the epoch's steps (part of <see cref="Seconds"/>).</summary>
    [Id(11)] public double Checkpoint { get; set; }

    public void Add(double loss, int rows, double compute, double communication, double update, long bytes, int staleness)
    {
        Loss += loss; Rows += rows; Compute += compute; Communication += Math.Max(0, communication); Update += update;
        Bytes += bytes; Staleness += staleness; MaxStaleness = Math.Max(MaxStaleness, staleness); Rounds++;
        LastLoss = loss / Math.Max(1, rows);
    }

    public EpochStats Stats(int epoch, int steps, double learningRate, double? noiseScale)
    {
        // In async modes communication is what the wall time leaves after compute and update.
        var communication = Communication > 0 ? Communication : Math.Max(0, Seconds - Compute - Update);
        return new EpochStats(epoch, Loss, Rows, steps, Seconds, Compute, communication, Update, Bytes, learningRate, Staleness, Rounds, MaxStaleness, Checkpoint, noiseScale);
    }
}
