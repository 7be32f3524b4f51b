namespace Trainer.Core.Training;

/// <summary>
/// Stops a job whose training has diverged, before the step's update is applied: a non-finite loss
/// or gradient, or a mean loss more than 1000 times the job's first one. Softmax keeps even a wrecked
/// network's loss finite (lr 1000 on an MLP gives losses near 1e17), so finiteness alone is not enough;
/// a sane run never comes near the factor (cross-entropy starts near ln K and falls).
/// </summary>
public sealed class DivergenceGuard
{
    public const double Factor = 1000;

    /// <summary>The mean loss of the job's first step; kept in checkpoints.</summary>
    public double? FirstMeanLoss { get; set; }

    public void CheckLoss(double loss, int rows, long step, int epoch, double learningRate)
    {
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(step + 1, epoch, learningRate, "the loss is not finite");
        var mean = loss / Math.Max(1, rows);
        if (FirstMeanLoss is not { } first)
        {
            FirstMeanLoss = mean;
            return;
        }
        if (mean > Factor * Math.Max(first, 1e-3))
            throw new TrainingDivergedException(step + 1, epoch, learningRate, $"the loss exploded to {mean:G3}, over {Factor:G}× its first value {first:G3}");
    }
}
