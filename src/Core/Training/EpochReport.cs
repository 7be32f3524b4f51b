using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>What one epoch did: mean training loss, validation and test metrics, and its speed.</summary>
public sealed record EpochReport(
    int Epoch,
    double TrainLoss,
    Metrics? Validation,
    Metrics? Test,
    double TrainSeconds,
    double SamplesPerSecond,
    double LearningRate,
    EpochStats Stats);

/// <summary>A finished training job: its outcome with the network and the final (best) weights.</summary>
public sealed record TrainingResult(Network Network, float[] Weights, TrainingOutcome Outcome, long Samples, double TrainSeconds)
{
    public TrainingResult(Network network, float[] weights, TrainingOutcome outcome)
        : this(network, weights, outcome, outcome.Epochs.Sum(e => e.Stats.Rows), outcome.Epochs.Sum(e => e.TrainSeconds)) { }

    public IReadOnlyList<EpochReport> Epochs => Outcome.Epochs;
    public int BestEpoch => Outcome.BestEpoch;
    public bool StoppedEarly => Outcome.StoppedEarly;
    public Metrics? Test => Outcome.Test;
    public int? TargetEpoch => Outcome.TargetEpoch;
    public EarlyStoppingPolicy EarlyStopping => Outcome.EarlyStopping;
    public double SamplesPerSecond => TrainSeconds > 0 ? Samples / TrainSeconds : 0;
    public string WeightsSha256 => WeightsHash.Sha256(Weights);
}
