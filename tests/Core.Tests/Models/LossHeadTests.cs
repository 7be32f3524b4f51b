using Trainer.Core.Models;

namespace Trainer.Core.Tests.Models;

public sealed class LossHeadTests
{
    [Fact]
    public void Softmax_cross_entropy_stays_finite_for_huge_logits()
    {
        var head = new SoftmaxCrossEntropy(3);
        var gradient = new float[3];
        var loss = head.Loss([1e30f, -1e30f, 0f], [1f], gradient);
        Assert.True(double.IsFinite(loss));
        Assert.Equal(2e30, loss, 1e25);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        Assert.Equal([1f, -1f, 0f], gradient);
    }

    [Fact]
    public void Binary_cross_entropy_is_stable_for_large_logits_of_either_sign()
    {
        var head = new BinaryCrossEntropy();
        var gradient = new float[2];
        var loss = head.Loss([100f, -100f], [1f, 0f], gradient);
        Assert.Equal(0, loss, 1e-12);
        Assert.Equal(0f, gradient[0], 1e-6f);
        Assert.Equal(0f, gradient[1], 1e-6f);
        Assert.Equal(200, new BinaryCrossEntropy().Loss([-100f, 100f], [1f, 0f], []), 1e-9);
    }

    [Fact]
    public void Perceptron_and_hinge_use_plus_minus_one_labels_from_zero_one_classes()
    {
        var gradient = new float[2];
        Assert.Equal(0.5, new PerceptronLoss().Loss([0.5f, 0.5f], [0f, 1f], gradient));
        Assert.Equal([1f, 0f], gradient);
        Assert.Equal(1.5 + 0.5, new HingeLoss().Loss([0.5f, 0.5f], [0f, 1f], gradient));
        Assert.Equal([1f, -1f], gradient);
    }

    [Fact]
    public void Squared_error_is_half_the_square_as_in_d2l()
    {
        var gradient = new float[1];
        Assert.Equal(2.0, new SquaredError().Loss([3f], [1f], gradient));
        Assert.Equal(2f, gradient[0]);
    }

    [Fact]
    public void Squared_error_on_a_standardised_target_reports_the_targets_units_and_steps_in_standardised_ones()
    {
        var head = new SquaredError(mean: 150, scale: 10);
        var gradient = new float[1];
        // output 1 means 150 + 10 = 160; the label 140 is 20 away: loss ½·20², gradient (160 − 140)/10
        Assert.Equal(200.0, head.Loss([1f], [140f], gradient));
        Assert.Equal(2f, gradient[0]);
        Assert.Equal(160f, head.Predict([1f]));
    }

    [Fact]
    public void Each_head_has_a_divergence_reference_no_lower_than_the_loss_of_zero_outputs()
    {
        Assert.Equal(Math.Log(10), new SoftmaxCrossEntropy(10).DivergenceReference(0.1));
        Assert.Equal(2.5, new SoftmaxCrossEntropy(10).DivergenceReference(2.5));
        Assert.Equal(Math.Log(2), new BinaryCrossEntropy().DivergenceReference(0));
        Assert.Equal(1, new HingeLoss().DivergenceReference(0));
        Assert.Equal(12.5, new SquaredError().DivergenceReference(12.5));
        Assert.Null(new PerceptronLoss().DivergenceReference(0)); // no scale: only non-finite values stop it
    }
}
