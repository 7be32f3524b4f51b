using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class ReferenceTrainerTests
{
    private static PreparedData Digits(ulong seed = 42) => DataLoader.Prepare(new DataSpec("digits", Seed: seed), ModelSpec.LabelRuleFor("mlp"));

    private static TrainingResult Train(PreparedData data, TrainOptions options, string kernel = "openblas") =>
        new ReferenceTrainer(KernelsUnderTest.Get(kernel)).Train(data, options);

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Same_options_and_seed_give_the_same_weights_hash_for_any_thread_count(string kernel)
    {
        var options = new TrainOptions { Epochs = 3, Batch = 64, Hidden = [32] };
        // 3 threads share 8 partitions unevenly; 8 threads, one partition each
        var hashes = new[] { 1, 2, 3, 4, 8, 1 }.Select(threads => Train(Digits(), options with { Threads = threads }, kernel).WeightsSha256).ToArray();
        Assert.All(hashes, h => Assert.Equal(hashes[0], h));
        Assert.NotEqual(hashes[0], Train(Digits(), options with { Seed = 7 }, kernel).WeightsSha256);
    }

    [Fact]
    public void Early_stopping_on_accuracy_restores_the_best_epochs_weights()
    {
        var data = Digits();
        var result = Train(data, new TrainOptions { Epochs = 40, Patience = 2, Monitor = EarlyStoppingPolicy.Accuracy, Hidden = [32], LearningRate = 0.5 });
        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 2, result.Epochs.Count);
        var best = result.Epochs.MaxBy(e => e.Validation!.Accuracy)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        // the returned weights are those of the best epoch: they score its validation accuracy
        var again = Evaluator.Evaluate(result.Network, KernelsUnderTest.Get("openblas"), result.Weights, data.Validation!, 1);
        Assert.Equal(best.Validation!.Accuracy, again.Accuracy);
    }

    [Fact]
    public void Early_stopping_on_the_default_loss_restores_the_epoch_of_the_lowest_validation_loss()
    {
        var data = Digits();
        var result = Train(data, new TrainOptions { Epochs = 40, Patience = 2, Hidden = [32], LearningRate = 0.5 });
        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 2, result.Epochs.Count);
        var best = result.Epochs.MinBy(e => e.Validation!.Loss)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        var again = Evaluator.Evaluate(result.Network, KernelsUnderTest.Get("openblas"), result.Weights, data.Validation!, 1);
        Assert.Equal(best.Validation!.Loss, again.Loss);
    }

    [Fact]
    public void A_learning_rate_that_explodes_is_stopped_within_one_step_with_its_step_and_rate()
    {
        var data = DataLoader.Prepare(new DataSpec("diabetes", Seed: 1), ModelSpec.LabelRuleFor("linreg"));
        var error = Assert.Throws<TrainingDivergedException>(() =>
            Train(data, new TrainOptions { Model = "linreg", LearningRate = 1e30, Momentum = 0, Batch = 32 }));
        Assert.InRange(error.Step, 1, 3);
        Assert.Contains("learning rate 1E+30", error.Message);
    }

    [Fact]
    public void Linear_regression_by_sgd_reaches_the_least_squares_optimum_within_one_percent()
    {
        var data = DataLoader.Prepare(new DataSpec("diabetes", ValFraction: 0, Seed: 42), ModelSpec.LabelRuleFor("linreg"));
        var network = new Network(new ModelSpec("linreg", data.Features, 0, []));
        var kernel = KernelsUnderTest.Get("openblas");
        var optimum = Evaluator.Evaluate(network, kernel, LeastSquares.Fit(data.Train), data.Train, 1).Mse!.Value;

        var result = Train(data, new TrainOptions
        {
            Model = "linreg", Epochs = 200, Batch = 32, Partitions = 4, LearningRate = 0.02, Momentum = 0.9, Schedule = "cosine",
        });
        // the trained network reads its output in the target's standardised units; least squares' in the target's own
        Assert.Equal(data.Preprocessor.TargetScale!.Value, result.Network.Spec.TargetScale);
        var mse = Evaluator.Evaluate(result.Network, kernel, result.Weights, data.Train, 1).Mse!.Value;
        Assert.True(mse <= optimum * 1.01, $"SGD training MSE {mse:F2}, least squares {optimum:F2}");
    }
}
