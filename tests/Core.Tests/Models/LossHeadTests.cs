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
}
