using Trainer.Core.Models;
using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>The update's element-wise work runs chunk by chunk on several threads: the same bits as on one.</summary>
public sealed class UpdateTests
{
    [Theory]
    [InlineData("sgd", 0.9)]
    [InlineData("sgd", 0.0)]
    [InlineData("lars", 0.9)]
    public void Threads_change_nothing_in_the_weights_the_velocity_or_the_noise_scale(string optimizer, double momentum)
    {
        var network = new Network(new ModelSpec(ModelSpec.Mlp, 300, 10, [120], "relu")); // 37,330 parameters: three chunks
        var options = new TrainOptions { Optimizer = optimizer, Momentum = momentum, WeightDecay = 1e-4, LearningRate = 0.05 };
        var rng = new Rng(3);
        // three workers' blocks over 8 partitions: [0, 4), [4, 6), [6, 8)
        StepSums Part(int first, int count) => new(first, [(first, Enumerable.Range(0, network.ParameterCount).Select(_ => (float)rng.NextGaussian()).ToArray())],
            Enumerable.Range(0, count).Select(_ => 1.5).ToArray(), Enumerable.Range(0, count).Select(p => 2.0 + p).ToArray(), 8 * count, 0);
        var steps = Enumerable.Range(0, 3).Select(_ => new[] { Part(0, 4), Part(4, 2), Part(6, 2) }).ToArray();

        (float[] Weights, float[] Velocity, double? Noise, double Norm) Run(int threads)
        {
            var update = new Update(network, options, partitions: 8, stepsPerEpoch: 10, threads: threads);
            var weights = network.Initialise(1);
            foreach (var parts in steps) update.Apply(parts, weights, epoch: 1);
            return (weights, update.State.Velocity, update.NoiseScale, update.GradientNorm);
        }
        var (one, two) = (Run(1), Run(2));
        Assert.Equal(one.Weights, two.Weights);
        Assert.Equal(one.Velocity, two.Velocity);
        Assert.Equal(one.Noise, two.Noise);
        Assert.Equal(one.Norm, two.Norm);
    }
}
