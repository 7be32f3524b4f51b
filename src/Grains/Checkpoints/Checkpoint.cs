using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Checkpoints;

/// <summary>
/// Everything a parameter server needs to continue a job exactly: the job, the weights and the
/// optimiser's velocity, the step and weight version, where in which epoch it stands with that
/// epoch's running totals, and the training loop's state with the best weights so far. The data
/// order needs no state: it is a function of (seed, partition, epoch).
/// </summary>
[GenerateSerializer, Alias("trainer.checkpoint")]
public sealed class Checkpoint
{
    [Id(0)] public JobSpec? Spec { get; set; }
    [Id(1)] public FloatVector? Weights { get; set; }
    [Id(2)] public FloatVector? Velocity { get; set; }
    [Id(3)] public long Step { get; set; }
    [Id(4)] public long Version { get; set; }
    /// <summary>The epoch being run, or the last one run.</summary>
    [Id(5)] public int Epoch { get; set; }
    /// <summary>Steps of <see cref="Epoch"/> already applied.</summary>
    [Id(6)] public int StepInEpoch { get; set; }
    [Id(7)] public EpochTotals Totals { get; set; } = new();
    [Id(8)] public LoopState? Loop { get; set; }
    [Id(9)] public FloatVector? BestWeights { get; set; }
    /// <summary>How often each worker was replaced: part of the workers' grain keys.</summary>
    [Id(10)] public int[]? Generations { get; set; }
    /// <summary>The divergence guard's reference: the mean loss of the job's first step.</summary>
    [Id(11)] public double? FirstMeanLoss { get; set; }
    /// <summary>The gradient noise scale's running averages.</summary>
    [Id(12)] public NoiseScaleState? NoiseScale { get; set; }

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
