using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class EarlyStoppingTests
{
    private static Metrics Accuracy(double accuracy, double loss = 1) => new(100, loss, accuracy, null, null);

    private static EarlyStopping Watching(string monitor, int patience, double minDelta = 0, bool restoreBest = true) =>
        new(new EarlyStoppingPolicy(monitor, patience, minDelta, restoreBest, null));

    [Fact]
    public void Watching_accuracy_it_stops_after_patience_epochs_without_improvement_and_keeps_the_best_weights()
    {
        var stopping = Watching(EarlyStoppingPolicy.Accuracy, patience: 2, minDelta: 0.01);
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
    public void Watching_accuracy_a_tie_with_a_lower_loss_counts_as_better()
    {
        var stopping = Watching(EarlyStoppingPolicy.Accuracy, patience: 1);
        stopping.Observe(1, Accuracy(1.0, loss: 0.3), [1f]);
        stopping.Observe(2, Accuracy(1.0, loss: 0.1), [2f]);
        Assert.False(stopping.ShouldStop);
        stopping.Observe(3, Accuracy(1.0, loss: 0.2), [3f]);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void Watching_the_loss_accuracy_jumps_do_not_count_and_an_equal_loss_keeps_the_earlier_epoch()
    {
        var stopping = Watching(EarlyStoppingPolicy.Loss, patience: 2);
        stopping.Observe(1, Accuracy(0.70, loss: 0.50), [1f]);
        stopping.Observe(2, Accuracy(0.92, loss: 0.55), [2f]); // a better accuracy on a worse loss: no improvement
        stopping.Observe(3, Accuracy(0.75, loss: 0.40), [3f]);
        stopping.Observe(4, Accuracy(0.80, loss: 0.40), [4f]); // a tie
        Assert.False(stopping.ShouldStop);
        stopping.Observe(5, Accuracy(0.99, loss: 0.41), [5f]);
        Assert.True(stopping.ShouldStop);
        Assert.Equal(3, stopping.BestEpoch);
        Assert.Equal([3f], stopping.BestWeights!);
        Assert.Equal(0.75, stopping.BestScore);
    }

    [Fact]
    public void Regression_is_judged_by_lower_validation_loss_whatever_the_monitor()
    {
        var stopping = Watching(EarlyStoppingPolicy.Accuracy, patience: 0);
        stopping.Observe(1, new Metrics(10, 5, null, 10, 0.1), [1f]);
        stopping.Observe(2, new Metrics(10, 3, null, 6, 0.4), [2f]);
        stopping.Observe(3, new Metrics(10, 4, null, 8, 0.3), [3f]);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void Patience_zero_never_stops()
    {
        var stopping = Watching(EarlyStoppingPolicy.Loss, patience: 0);
        for (var epoch = 1; epoch <= 20; epoch++) stopping.Observe(epoch, Accuracy(0.5, loss: epoch), [epoch]);
        Assert.False(stopping.ShouldStop);
        Assert.Equal(1, stopping.BestEpoch);
    }

    [Fact]
    public void Without_restoring_the_best_no_weights_are_copied()
    {
        var stopping = Watching(EarlyStoppingPolicy.Loss, patience: 0, restoreBest: false);
        stopping.Observe(1, Accuracy(0.5, loss: 1), [1f]);
        Assert.Equal(1, stopping.BestEpoch);
        Assert.Null(stopping.BestWeights);
    }

    [Fact]
    public void The_default_policy_watches_the_loss_with_patience_ten_and_restores_the_best()
    {
        var policy = EarlyStoppingPolicy.For(new TrainOptions(), validationRows: 145);
        Assert.Equal(new EarlyStoppingPolicy(EarlyStoppingPolicy.Loss, 10, 0, true, null), policy);
    }

    [Fact]
    public void A_validation_set_too_small_to_decide_on_turns_early_stopping_off_and_says_so()
    {
        var policy = EarlyStoppingPolicy.For(new TrainOptions { Epochs = 100 }, validationRows: 12);
        Assert.Equal((0, false), (policy.Patience, policy.RestoreBest));
        Assert.Equal("the validation set has 12 rows, fewer than the 50 early stopping needs to decide on (one row moves its accuracy by 8.3 points): " +
                     "early stopping is off, all 100 epochs run and the last epoch's weights are kept (--patience N turns it on)", policy.Note);
    }

    [Fact]
    public void A_patience_given_for_a_tiny_validation_set_is_kept_with_a_warning()
    {
        var policy = EarlyStoppingPolicy.For(new TrainOptions { Patience = 3 }, validationRows: 49);
        Assert.Equal((3, true), (policy.Patience, policy.RestoreBest));
        Assert.EndsWith("with --patience 3 it may decide on noise", policy.Note);
        Assert.Null(EarlyStoppingPolicy.For(new TrainOptions { Patience = 3 }, validationRows: 50).Note);
    }

    [Fact]
    public void Without_a_validation_set_nothing_is_restored()
    {
        var policy = EarlyStoppingPolicy.For(new TrainOptions(), validationRows: 0);
        Assert.Equal((0, false, null), (policy.Patience, policy.RestoreBest, policy.Note));
    }
}
