using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>What early stopping remembers, apart from the best weights: enough to resume it exactly.</summary>
public sealed record EarlyStoppingState(int BestEpoch, double BestScore, double BestLoss, int EpochsWithoutImprovement, bool ShouldStop)
{
    public static EarlyStoppingState Initial { get; } = new(0, double.NegativeInfinity, double.PositiveInfinity, 0, false);
}

/// <summary>
/// Early stopping on validation metrics: better means a higher score (accuracy; −loss for
/// regression) by more than <c>minDelta</c>, or the same score with a lower loss, since on small
/// validation sets accuracy ties often. Remembers the best epoch and its weights, and stops after
/// <c>patience</c> epochs without improvement. Patience 0 never stops but still keeps the best.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta, EarlyStoppingState? state = null, float[]? bestWeights = null)
{
    public EarlyStoppingState State { get; private set; } = state ?? EarlyStoppingState.Initial;
    public float[]? BestWeights { get; private set; } = bestWeights;
    public int BestEpoch => State.BestEpoch;
    public double BestScore => State.BestScore;
    public bool ShouldStop => State.ShouldStop;

    /// <summary>Takes an epoch's validation metrics; true when they are the best so far.</summary>
    public bool Observe(int epoch, Metrics validation, ReadOnlySpan<float> weights)
    {
        var s = State;
        var better = validation.Score > s.BestScore + minDelta || (validation.Score == s.BestScore && validation.Loss < s.BestLoss);
        if (better || BestWeights is null)
        {
            State = new EarlyStoppingState(epoch, Math.Max(s.BestScore, validation.Score), validation.Loss, 0, false);
            BestWeights = weights.ToArray();
            return true;
        }
        var without = s.EpochsWithoutImprovement + 1;
        State = s with { EpochsWithoutImprovement = without, ShouldStop = patience > 0 && without >= patience };
        return false;
    }
}
