using Trainer.Core.Models;
using Trainer.Core.Optim;

namespace Trainer.Core.Tests.Optim;

public sealed class SgdOptimizerTests
{
    // One weight tensor [w0, w1] and one bias [b], as a linear model with two features lays them out.
    private static readonly ParameterTensor[] Tensors = [new("weight", 0, 1, 2, false), new("bias", 2, 1, 1, true)];

    [Fact]
    public void Plain_sgd_subtracts_learning_rate_times_gradient()
    {
        var w = new[] { 1f, 2f, 3f };
        new SgdOptimizer(new SgdSettings(), Tensors, 3).Step(w, [0.5f, -1f, 2f], 0.1);
        Assert.Equal([0.95f, 2.1f, 2.8f], w);
    }

    [Fact]
    public void Weight_decay_applies_to_weights_but_not_biases()
    {
        var w = new[] { 1f, 2f, 3f };
        new SgdOptimizer(new SgdSettings(WeightDecay: 0.5), Tensors, 3).Step(w, [0f, 0f, 0f], 0.1);
        Assert.Equal([0.95f, 1.9f, 3f], w);
    }

    [Fact]
    public void Momentum_accumulates_velocity_as_pytorch_does()
    {
        // v1 = g1 = 1; w = 1 − 0.1·1 = 0.9.  v2 = 0.9·1 + 1 = 1.9; w = 0.9 − 0.19 = 0.71.
        var w = new[] { 1f, 0f, 0f };
        var sgd = new SgdOptimizer(new SgdSettings(Momentum: 0.9), Tensors, 3);
        sgd.Step(w, [1f, 0f, 0f], 0.1);
        Assert.Equal(0.9f, w[0], 6);
        sgd.Step(w, [1f, 0f, 0f], 0.1);
        Assert.Equal(0.71f, w[0], 6);
        Assert.Equal(1.9f, sgd.Velocity[0], 6);
    }

    [Fact]
    public void Nesterov_steps_along_gradient_plus_momentum_times_velocity()
    {
        // v1 = 1; d = g + μv = 1.9; w = 1 − 0.19 = 0.81.  v2 = 1.9; d = 1 + 0.9·1.9 = 2.71; w = 0.81 − 0.271 = 0.539.
        var w = new[] { 1f, 0f, 0f };
        var sgd = new SgdOptimizer(new SgdSettings(Momentum: 0.9, Nesterov: true), Tensors, 3);
        sgd.Step(w, [1f, 0f, 0f], 0.1);
        Assert.Equal(0.81f, w[0], 6);
        sgd.Step(w, [1f, 0f, 0f], 0.1);
        Assert.Equal(0.539f, w[0], 5);
    }
}
