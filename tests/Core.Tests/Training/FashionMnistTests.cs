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

    /// <summary>
    /// LeNet-5 with ReLU and max pooling (d2l 7.6 with the modern choices): the issue asks for 0.89
    /// within 15 epochs; a cosine schedule over 6 epochs at batch 128 gets there (0.896 on the
    /// author's machine), the cheapest run found that does, at 360,000 samples.
    /// </summary>
    [Fact]
    public void Lenet_with_relu_and_max_pooling_reaches_89_percent_in_six_epochs()
    {
        var data = DataLoader.Prepare(new DataSpec("fashion-mnist", ValFraction: 0), ModelSpec.LabelRuleFor("lenet"));
        var result = new ReferenceTrainer(KernelsUnderTest.Get("openblas")).Train(data, new TrainOptions
        {
            Model = "lenet", Epochs = 6, Batch = 128, LearningRate = 0.05, Momentum = 0.9, Schedule = "cosine",
        });
        Assert.Equal(6, result.Epochs.Count);
        Assert.True(result.Test!.Accuracy >= 0.89, $"test accuracy after 6 epochs {result.Test.Accuracy:F4}");
    }
}
