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

/// <summary>The outcome of a training job: final (best) weights, the epochs, and the test metrics.</summary>
public sealed record TrainingResult(
    Network Network,
    float[] Weights,
    IReadOnlyList<EpochReport> Epochs,
    int BestEpoch,
    bool StoppedEarly,
    Metrics? Test,
    long Samples,
    double TrainSeconds,
    int? TargetEpoch = null,
    EarlyStoppingPolicy? EarlyStopping = null)
{
    public double SamplesPerSecond => TrainSeconds > 0 ? Samples / TrainSeconds : 0;
    public string WeightsSha256 => WeightsHash.Sha256(Weights);
}

/// <summary>Hears about progress as training goes; the CLI draws it, tests ignore it.</summary>
public interface ITrainingObserver
{
    void EpochStarted(int epoch, int epochs, int steps) { }
    void StepCompleted(int epoch, int step, int steps, double loss) { }
    void EpochCompleted(EpochReport report, int epochs) { }
    /// <summary>Something the user should know about how the run goes (one line).</summary>
    void Note(string note) { }
}
