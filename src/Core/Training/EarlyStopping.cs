using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Early stopping on validation metrics: better means a higher score (accuracy; −loss for
/// regression) by more than <c>minDelta</c>, or the same score with a lower loss, since on small
/// validation sets accuracy ties often. Remembers the best epoch and its weights, and stops after
/// <c>patience</c> epochs without improvement. Patience 0 never stops but still keeps the best.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta)
{
    private int _epochsWithoutImprovement;
    private double _bestLoss = double.PositiveInfinity;

    public int BestEpoch { get; private set; }
    public double BestScore { get; private set; } = double.NegativeInfinity;
    public float[]? BestWeights { get; private set; }
    public bool ShouldStop { get; private set; }

    public void Observe(int epoch, Metrics validation, ReadOnlySpan<float> weights)
    {
        var better = validation.Score > BestScore + minDelta || (validation.Score == BestScore && validation.Loss < _bestLoss);
        if (better || BestWeights is null)
        {
            BestScore = Math.Max(BestScore, validation.Score);
            _bestLoss = validation.Loss;
            BestEpoch = epoch;
            BestWeights = weights.ToArray();
            _epochsWithoutImprovement = 0;
            return;
        }
        _epochsWithoutImprovement++;
        if (patience > 0 && _epochsWithoutImprovement >= patience) ShouldStop = true;
    }
}
