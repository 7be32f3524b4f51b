using System.Numerics.Tensors;
using Trainer.Core.Data;
using Trainer.Core.Kernels;

namespace Trainer.Core.Models;

/// <summary>
/// A model's predictions for every row of a (preprocessed) data set, in 512-row chunks: the label
/// the head predicts (the class index, or the regression value) and per row the head's outputs as
/// a user reads them: class probabilities (softmax), the positive class's probability (logistic),
/// the score (perceptron, SVM), nothing more for regression.
/// </summary>
public static class Predictor
{
    public sealed record Predictions(float[] Labels, float[][] Outputs, string[] OutputNames);

    public static Predictions Predict(Network network, IKernel kernel, ReadOnlySpan<float> weights, Dataset data)
    {
        const int chunk = 512;
        var ws = network.CreateWorkspace(chunk);
        var labels = new float[data.Count];
        var outputs = new float[data.Count][];
        var width = network.OutputWidth;
        for (var start = 0; start < data.Count; start += chunk)
        {
            var rows = Math.Min(chunk, data.Count - start);
            var z = network.Forward(kernel, weights, data.X.AsSpan(start * data.Features, rows * data.Features), rows, ws);
            for (var r = 0; r < rows; r++)
            {
                var row = z.Slice(r * width, width);
                labels[start + r] = network.Head.Predict(row);
                outputs[start + r] = Readable(network.Head, row);
            }
        }
        return new Predictions(labels, outputs, OutputNames(network));
    }

    private static float[] Readable(LossHead head, ReadOnlySpan<float> z)
    {
        switch (head)
        {
            case SoftmaxCrossEntropy:
                var p = new float[z.Length];
                TensorPrimitives.SoftMax(z, p);
                return p;
            case BinaryCrossEntropy:
                return [1f / (1f + MathF.Exp(-z[0]))];
            case SquaredError:
                return [];
            default:
                return [z[0]];
        }
    }

    private static string[] OutputNames(Network network) => network.Head switch
    {
        SoftmaxCrossEntropy => Enumerable.Range(0, network.OutputWidth).Select(k => $"p{k}").ToArray(),
        BinaryCrossEntropy => ["probability"],
        SquaredError => [],
        _ => ["score"],
    };
}
