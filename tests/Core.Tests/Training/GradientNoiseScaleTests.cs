using System.Numerics.Tensors;
using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class GradientNoiseScaleTests
{
    /// <summary>
    /// Per-example gradients g = μ + σ⊙z (z standard normal) with known |μ|² and tr(Σ) = Σσ²; each step
    /// has P partitions of b examples, as a data-parallel step does. The estimator sees only the
    /// partitions' micro-batch gradient norms and the step's mean gradient, as in training.
    /// </summary>
    [Theory]
    [InlineData(0.1, 32, 8)]   // B_simple ≈ 84, near the global batch of 256
    [InlineData(0.03, 16, 4)]  // B_simple ≈ 940, far above the global batch of 64
    [InlineData(0.3, 64, 2)]   // B_simple ≈ 9, far below the global batch of 128
    public void It_recovers_the_trace_of_the_covariance_over_the_squared_mean_gradient(double meanComponent, int microBatch, int partitions)
    {
        const int dimensions = 64;
        var mean = Enumerable.Repeat((float)meanComponent, dimensions).ToArray();
        var sigma = Enumerable.Range(0, dimensions).Select(i => 0.5f + (i % 4) * 0.25f).ToArray(); // anisotropic
        var expected = sigma.Sum(s => (double)s * s) / (dimensions * meanComponent * meanComponent);

        var rng = new Rng(7);
        var noise = NoiseScaleState.Empty;
        var micro = new float[partitions][];
        var norms = new double[partitions];
        var total = new float[dimensions];
        for (var step = 0; step < 3000; step++)
        {
            Array.Clear(total);
            for (var p = 0; p < partitions; p++)
            {
                micro[p] = new float[dimensions];
                for (var n = 0; n < microBatch; n++)
                    for (var i = 0; i < dimensions; i++) micro[p][i] += mean[i] + sigma[i] * (float)rng.NextGaussian();
                TensorPrimitives.Add(total, micro[p], total); // a sum over the partition's rows, as the tree adds them
                TensorPrimitives.Divide(micro[p], microBatch, micro[p]);
                norms[p] = TensorPrimitives.SumOfSquares(micro[p]);
            }
            TensorPrimitives.Divide(total, microBatch * partitions, total);
            noise = GradientNoiseScale.ObservePartitions(noise, norms, microBatch * partitions, TensorPrimitives.SumOfSquares(total));
        }

        Assert.NotNull(noise.Value);
        Assert.InRange(noise.Value!.Value, 0.9 * expected, 1.1 * expected);
    }

    [Fact]
    public void One_partition_has_no_second_batch_size_and_gives_no_estimate()
    {
        var noise = GradientNoiseScale.ObservePartitions(NoiseScaleState.Empty, [2.0], 64, 2.0);
        Assert.Null(noise.Value);
        Assert.Equal(NoiseScaleState.Empty, noise);
    }

    [Fact]
    public void A_resumed_estimator_continues_from_its_saved_averages()
    {
        var first = GradientNoiseScale.Observe(NoiseScaleState.Empty, 2.0, 8, 0.5, 64);
        var saved = first with { }; // as a checkpoint keeps it
        first = GradientNoiseScale.Observe(first, 1.5, 8, 0.4, 64);
        var resumed = GradientNoiseScale.Observe(saved, 1.5, 8, 0.4, 64);
        Assert.Equal(first.Value, resumed.Value);
        Assert.NotNull(resumed.Value);
    }
}
