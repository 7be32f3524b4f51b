using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

/// <summary>Each model learns its textbook data set to the accuracy the issue asks for (held-out test split).</summary>
public sealed class AccuracyTests
{
    public static TheoryData<string, string, string, double> Cases() => new()
    {
        { "logreg", "breast-cancer", "managed", 0.95 },
        { "logreg", "breast-cancer", "openblas", 0.95 },
        { "softmax", "digits", "managed", 0.95 },
        { "softmax", "digits", "openblas", 0.95 },
        { "mlp", "digits", "managed", 0.97 },
        { "mlp", "digits", "openblas", 0.97 },
        { "perceptron", "breast-cancer", "openblas", 0.94 },
        { "svm", "breast-cancer", "openblas", 0.94 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Model_reaches_its_test_accuracy(string model, string data, string kernel, double target)
    {
        var prepared = DataLoader.Prepare(new DataSpec(data, Seed: 42), ModelSpec.LabelRuleFor(model));
        var options = model switch
        {
            // the classic perceptron: plain SGD on small batches; with momentum it oscillates on non-separable data
            "perceptron" => new TrainOptions { Model = model, Momentum = 0, Batch = 16, LearningRate = 0.1 },
            "svm" => new TrainOptions { Model = model, WeightDecay = 1e-4 },
            _ => new TrainOptions { Model = model },
        };
        var result = new ReferenceTrainer(KernelsUnderTest.Get(kernel)).Train(prepared, options);
        Assert.True(result.Test!.Accuracy >= target, $"{model} on {data}: test accuracy {result.Test.Accuracy:F4} < {target}");
    }
}
