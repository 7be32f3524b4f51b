using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class DivergenceGuardTests
{
    [Fact]
    public void A_perceptron_whose_first_loss_is_zero_is_not_stopped_by_a_larger_finite_loss()
    {
        var guard = new DivergenceGuard(new PerceptronLoss(), new UpdateState());
        guard.CheckLoss(0, 1, 0, 1, 0.1);
        guard.CheckLoss(1.42, 1, 3, 1, 0.1); // the false stop of the old rule: over 1000× a first loss of 0
        guard.CheckLoss(1e30, 1, 4, 1, 0.1);
        Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(double.PositiveInfinity, 1, 5, 1, 0.1));
    }

    [Fact]
    public void A_hinge_loss_that_starts_at_zero_is_judged_against_the_loss_of_zero_outputs()
    {
        var guard = new DivergenceGuard(new HingeLoss(), new UpdateState());
        guard.CheckLoss(0, 1, 0, 1, 0.1);
        guard.CheckLoss(999, 1, 1, 1, 0.1);
        var error = Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(1001, 1, 2, 1, 0.1));
        Assert.Equal(3, error.Step);
        Assert.Contains("the loss exploded to 1E+03, over 1000× its reference 1", error.Message);
    }

    [Fact]
    public void Cross_entropy_that_explodes_is_stopped_at_the_step_it_does()
    {
        var guard = new DivergenceGuard(new SoftmaxCrossEntropy(10), new UpdateState());
        guard.CheckLoss(64 * 2.3, 64, 0, 1, 1000);
        var error = Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(64 * 1e17, 64, 1, 1, 1000));
        Assert.Equal(2, error.Step);
        Assert.Contains("learning rate 1000", error.Message);
    }
}
