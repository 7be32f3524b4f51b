using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>
/// The d2l and PyTorch recipes on Fashion-MNIST (Debian's dataset-fashion-mnist, installed by
/// .ci/run), trained on all 60,000 images as they do, tested on the 10,000 t10k images.
/// The slowest tests of the suite (about half a minute each on two cores).
/// </summary>
[Trait("Category", "Slow")]
public sealed class FashionMnistTests
{
    [Fact]
    public void Softmax_regression_reaches_d2ls_accuracy_in_ten_epochs()
    {
        var data = DataLoader.Prepare(new DataSpec("fashion-mnist", ValFraction: 0), ModelSpec.LabelRuleFor("softmax"));
        var result = new ReferenceTrainer(KernelsUnderTest.Get("openblas")).Train(data, new TrainOptions
        {
            Model = "softmax", Epochs = 10, Batch = 256, LearningRate = 0.1, Momentum = 0,
        });
        Assert.Equal(10, result.Epochs.Count);
        Assert.True(result.Test!.Accuracy >= 0.83, $"test accuracy {result.Test.Accuracy:F4}");
    }

    [Fact]
    public void Mlp_reaches_88_percent_within_fifteen_epochs()
    {
        var data = DataLoader.Prepare(new DataSpec("fashion-mnist", ValFraction: 0), ModelSpec.LabelRuleFor("mlp"));
        var result = new ReferenceTrainer(KernelsUnderTest.Get("openblas")).Train(data, new TrainOptions
        {
            Model = "mlp", Hidden = [256], Epochs = 15, Batch = 256, LearningRate = 0.1, Momentum = 0.9,
        });
        var best = result.Epochs.Max(e => e.Test!.Accuracy!.Value);
        Assert.True(best >= 0.88, $"best test accuracy in 15 epochs {best:F4}");
    }
}
