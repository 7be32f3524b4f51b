using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Stops a job whose training has diverged, before the step's update is applied: a non-finite loss
/// or gradient, or a mean loss more than <see cref="Factor"/> times the head's reference
/// (<see cref="LossHead.DivergenceReference"/>: the first mean loss, but never below the loss of zero
/// outputs). Softmax keeps even a wrecked network's loss finite (lr 1000 on an MLP gives losses near
/// 1e17), so finiteness alone is not enough; a sane run never comes near the factor (cross-entropy
/// starts near ln K and falls). Margin losses start at or near 0, which is why the reference has a
/// floor; the perceptron's loss has no scale at all, so only non-finite values stop it. The first
/// mean loss is part of the update's state (<see cref="UpdateState.FirstMeanLoss"/>), kept in checkpoints.
/// </summary>
public sealed class DivergenceGuard(LossHead head, UpdateState state)
{
    public const double Factor = 1000;

    /// <summary>Judges the loss of a 0-based global step (messages count steps from 1).</summary>
    public void CheckLoss(double loss, int rows, long step, int epoch, double learningRate)
    {
        step++;
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(step, epoch, learningRate, "the loss is not finite");
        var mean = loss / Math.Max(1, rows);
        if (state.FirstMeanLoss is not { } first)
        {
            state.FirstMeanLoss = mean;
            return;
        }
        if (head.DivergenceReference(first) is { } reference && mean > Factor * reference)
            throw new TrainingDivergedException(step, epoch, learningRate,
                $"the loss exploded to {mean:G3}, over {Factor:G}× its reference {reference:G3} (the first step's, or that of zero outputs)");
    }

    public static TrainingDivergedException NonFiniteGradient(long step, int epoch, double learningRate) =>
        new(step + 1, epoch, learningRate, "the gradient is not finite");
}
