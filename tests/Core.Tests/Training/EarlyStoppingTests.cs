using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class EarlyStoppingTests
{
    private static Metrics Accuracy(double accuracy, double loss = 1) => new(100, loss, accuracy, null, null);

    [Fact]
    public void Stops_after_patience_epochs_without_improvement_and_keeps_the_best_weights()
    {
        var stopping = new EarlyStopping(patience: 2, minDelta: 0.01);
        stopping.Observe(1, Accuracy(0.80), [1f]);
        stopping.Observe(2, Accuracy(0.90), [2f]);
        stopping.Observe(3, Accuracy(0.905), [3f]); // not better by more than min-delta
        Assert.False(stopping.ShouldStop);
        stopping.Observe(4, Accuracy(0.85), [4f]);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal([2f], stopping.BestWeights!);
    }

    [Fact]
    public void An_accuracy_tie_with_a_lower_loss_counts_as_better()
    {
        var stopping = new EarlyStopping(patience: 1, minDelta: 0);
        stopping.Observe(1, Accuracy(1.0, loss: 0.3), [1f]);
        stopping.Observe(2, Accuracy(1.0, loss: 0.1), [2f]);
        Assert.False(stopping.ShouldStop);
        stopping.Observe(3, Accuracy(1.0, loss: 0.2), [3f]);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void Regression_is_judged_by_lower_validation_loss()
    {
        var stopping = new EarlyStopping(0, 0);
        stopping.Observe(1, new Metrics(10, 5, null, 10, 0.1), [1f]);
        stopping.Observe(2, new Metrics(10, 3, null, 6, 0.4), [2f]);
        stopping.Observe(3, new Metrics(10, 4, null, 8, 0.3), [3f]);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void Patience_zero_never_stops()
    {
        var stopping = new EarlyStopping(0, 0);
        for (var epoch = 1; epoch <= 20; epoch++) stopping.Observe(epoch, Accuracy(1.0 / epoch), [epoch]);
        Assert.False(stopping.ShouldStop);
        Assert.Equal(1, stopping.BestEpoch);
    }
}
