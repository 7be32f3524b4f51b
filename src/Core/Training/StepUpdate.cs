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

    /// <summary>
    /// Applies one step from the block sums of all partitions and tells the noise-scale estimator the
    /// step's two gradient sizes; returns the step's loss sum (added in partition order).
    /// </summary>
    public static double Apply(int partitions, IReadOnlyList<StepSums> parts, float[][] scratch, float[] meanGradient,
        Optimizer optimiser, float[] weights, LearningRateSchedule schedule, DivergenceGuard guard, GradientNoiseScale noise, long step, int epoch)
    {
        var slots = new float[]?[partitions];
        var losses = new double[partitions];
        var norms = new double[partitions];
        var rows = 0;
        foreach (var part in parts)
        {
            foreach (var (start, sum) in part.Blocks) slots[start] = sum;
            var first = part.Blocks[0].Start;
            part.Losses.CopyTo(losses, first);
            part.SquaredNorms.CopyTo(norms, first);
            rows += part.Rows;
        }
        double loss = 0;
        foreach (var l in losses) loss += l;

        ApplyTotal(GradientSums.CompleteTree(slots, scratch), loss, rows, meanGradient, optimiser, weights, schedule.At(step), guard, step, epoch);
        ObserveNoise(noise, norms, rows, meanGradient);
        return loss;
    }

    /// <summary>
    /// The noise scale's view of an update: the partitions' micro-batch gradients (size b = rows over
    /// the partitions that had rows) against the update's mean gradient (size B = rows).
    /// </summary>
    public static void ObserveNoise(GradientNoiseScale noise, IReadOnlyList<double> partitionSquaredNorms, int rows, ReadOnlySpan<float> meanGradient) =>
        ObserveNoise(noise, partitionSquaredNorms, rows, System.Numerics.Tensors.TensorPrimitives.SumOfSquares(meanGradient));

    /// <summary>The same with |G_B|² given (a sharded server adds it up from its shards).</summary>
    public static void ObserveNoise(GradientNoiseScale noise, IReadOnlyList<double> partitionSquaredNorms, int rows, double meanSquaredNorm)
    {
        double small = 0;
        var counted = 0;
        foreach (var norm in partitionSquaredNorms)
            if (norm > 0) { small += norm; counted++; }
        if (counted < 2) return; // one micro-batch: no second batch size to compare with
        noise.Observe(small / counted, (double)rows / counted, meanSquaredNorm, rows);
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
