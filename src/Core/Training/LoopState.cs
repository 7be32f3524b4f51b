namespace Trainer.Core.Training;

/// <summary>
/// Where the training loop stands: the epochs so far, early stopping's memory and, when it restores
/// them, the best epoch's weights. The loop is its only writer; whoever runs the loop keeps it (the
/// parameter server keeps it in its checkpoint), so a resumed job reports and stops exactly as an
/// uninterrupted one.
/// </summary>
public sealed class LoopState
{
    public List<EpochReport> Epochs { get; init; } = [];
    public EarlyStoppingState Stopping { get; set; } = EarlyStoppingState.Initial;
    /// <summary>The best epoch's weights, when early stopping restores them.</summary>
    public float[]? BestWeights { get; set; }

    public int CompletedEpochs => Epochs.Count;
}
