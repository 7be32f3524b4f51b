using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Optim;

public sealed class LarsOptimizerTests
{
    // One weight tensor [w0, w1] and one bias [b].
    private static readonly ParameterTensor[] Tensors = [new("weight", 0, 1, 2, false), new("bias", 2, 1, 1, true)];

    [Fact]
    public void Two_steps_match_the_formula_worked_by_hand()
    {
        // w = (3, 4), ‖w‖ = 5; g = (0.6, 0.8), ‖g‖ = 1; η = 0.01, β = 0.1, m = 0.9, γ = 2.
        // Step 1: λ = 0.01·5 / (1 + 0.1·5) = 1/30; v = 2·(1/30)·(g + 0.1w) = (1/15)·(0.9, 1.2) = (0.06, 0.08);
        //         w = (2.94, 3.92). Bias: v = 2·0.5 = 1, b = 1 − 1 = 0 (no trust ratio, no decay).
        // Step 2: ‖w‖ = 4.9, λ = 0.049 / 1.49; v = 0.9·(0.06, 0.08) + 2λ·(0.894, 1.192) = (0.1128, 0.1504);
        //         w = (2.8272, 3.7696). Bias: v = 0.9 + 1 = 1.9, b = −1.9.
        var w = new[] { 3f, 4f, 1f };
        float[] g = [0.6f, 0.8f, 0.5f];
        var lars = new LarsOptimizer(new SgdSettings(Momentum: 0.9, WeightDecay: 0.1), 0.01, Tensors, 3);

        lars.Step(w, g, 2);
        Assert.Equal(1 / 30.0, lars.LastTrustRatios[0], 9);
        Assert.Equal(1.0, lars.LastTrustRatios[1]);
        Assert.Equal(2.94f, w[0], 5); Assert.Equal(3.92f, w[1], 5); Assert.Equal(0f, w[2], 6);

        lars.Step(w, g, 2);
        Assert.Equal(0.049 / 1.49, lars.LastTrustRatios[0], 6);
        Assert.Equal(2.8272f, w[0], 5); Assert.Equal(3.7696f, w[1], 5); Assert.Equal(-1.9f, w[2], 5);
        Assert.Equal(0.1128f, lars.Velocity[0], 5); Assert.Equal(0.1504f, lars.Velocity[1], 5);
    }

    [Fact]
    public void A_zero_weight_or_gradient_norm_leaves_the_trust_ratio_at_one()
    {
        var w = new[] { 0f, 0f, 0f };
        var lars = new LarsOptimizer(new SgdSettings(), 0.001, Tensors, 3);
        lars.Step(w, [1f, 2f, 3f], 0.5);
        Assert.Equal(1.0, lars.LastTrustRatios[0]);
        Assert.Equal([-0.5f, -1f, -1.5f], w);
    }

    [Theory]
    [InlineData("none", 0.1)]
    [InlineData("linear", 0.4)]
    [InlineData("sqrt", 0.2)]
    public void The_learning_rate_scales_with_the_batch_by_the_chosen_rule(string rule, double expected)
    {
        var options = new TrainOptions { LearningRate = 0.1, Batch = 1024, BaseBatch = 256, LrScaling = rule };
        Assert.Equal(expected, options.ScaledLearningRate, 12);
    }

    [Fact]
    public void The_optimizer_follows_the_options()
    {
        Assert.IsType<LarsOptimizer>(Optimizer.For(new TrainOptions { Optimizer = "lars" }, Tensors, 3));
        Assert.IsType<SgdOptimizer>(Optimizer.For(new TrainOptions(), Tensors, 3));
    }
}
