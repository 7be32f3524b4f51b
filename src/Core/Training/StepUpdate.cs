using Trainer.Core.Optim;

namespace Trainer.Core.Training;

/// <summary>
/// The update half of a synchronous step, shared by the reference trainer and the parameter server
/// so both do exactly the same arithmetic: complete the reduction tree over the partitions' block
/// sums, divide by the step's rows, guard against divergence (<see cref="DivergenceGuard"/>), and apply the optimiser.
/// </summary>
public static class StepUpdate
{
    public static float[][] Scratch(int partitions, int parameters) =>
        Enumerable.Range(0, partitions).Select(_ => new float[parameters]).ToArray();

    /// <summary>Applies one step from the block sums of all partitions; returns the step's loss sum (added in partition order).</summary>
    public static double Apply(int partitions, IReadOnlyList<StepSums> parts, float[][] scratch, float[] meanGradient,
        Optimizer optimiser, float[] weights, LearningRateSchedule schedule, DivergenceGuard guard, long step, int epoch)
    {
        var slots = new float[]?[partitions];
        var losses = new double[partitions];
        var rows = 0;
        foreach (var part in parts)
        {
            foreach (var (start, sum) in part.Blocks) slots[start] = sum;
            var first = part.Blocks[0].Start;
            part.Losses.CopyTo(losses, first);
            rows += part.Rows;
        }
        double loss = 0;
        foreach (var l in losses) loss += l;

        ApplyTotal(GradientSums.CompleteTree(slots, scratch), loss, rows, meanGradient, optimiser, weights, schedule.At(step), guard, step, epoch);
        return loss;
    }

    /// <summary>
    /// The update from a gradient sum over <paramref name="rows"/> rows: the divergence guard, the mean,
    /// the optimiser. Sync steps come here with the whole tree's sum; async updates with one worker's.
    /// </summary>
    public static void ApplyTotal(float[] total, double loss, int rows, float[] meanGradient, Optimizer optimiser, float[] weights,
        double learningRate, DivergenceGuard guard, long step, int epoch)
    {
        guard.CheckLoss(loss, rows, step, epoch, learningRate);
        if (!GradientSums.ToMean(total, rows, meanGradient))
            throw new TrainingDivergedException(step + 1, epoch, learningRate, "the gradient is not finite");
        optimiser.Step(weights, meanGradient, learningRate);
    }
}
