namespace Trainer.Core.Training;

/// <summary>
/// Where the training loop stands after a finished epoch: the epochs so far and early stopping's
/// memory (the best weights travel beside it). A checkpoint keeps it, so a resumed job reports and
/// stops exactly as an uninterrupted one.
/// </summary>
public sealed record LoopState(IReadOnlyList<EpochReport> Epochs, EarlyStoppingState Stopping)
{
    public static LoopState Initial { get; } = new([], EarlyStoppingState.Initial);
    public int CompletedEpochs => Epochs.Count;
}
