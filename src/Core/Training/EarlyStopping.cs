namespace Trainer.Core.Training;

/// <summary>
/// Early stopping on a validation score (higher is better): remembers the best epoch and its
/// weights, and stops after <c>patience</c> epochs without an improvement of more than <c>minDelta</c>.
/// Patience 0 never stops but still keeps the best weights.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta)
{
    private int _epochsWithoutImprovement;

    public int BestEpoch { get; private set; }
    public double BestScore { get; private set; } = double.NegativeInfinity;
    public float[]? BestWeights { get; private set; }
    public bool ShouldStop { get; private set; }

    public void Observe(int epoch, double score, ReadOnlySpan<float> weights)
    {
        if (score > BestScore + minDelta || BestWeights is null)
        {
            BestScore = score;
            BestEpoch = epoch;
            BestWeights = weights.ToArray();
            _epochsWithoutImprovement = 0;
            return;
        }
        _epochsWithoutImprovement++;
        if (patience > 0 && _epochsWithoutImprovement >= patience) ShouldStop = true;
    }
}
