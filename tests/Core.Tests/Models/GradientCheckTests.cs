using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Models.Layers;
using Trainer.Core.Random;

namespace Trainer.Core.Tests.Models;

/// <summary>
/// Every model's analytic gradient against central finite differences, on each kernel.
/// Tolerance: |numeric − analytic| ≤ 1e-3 + 1e-2·|analytic|. The loss is summed in double from
/// float32 outputs whose error is about 1e-6 per row; over 8 rows and a step h = 1e-2 that is
/// ≲ 1e-3 in the difference quotient, while the O(h²) truncation error is smaller still. Rows near
/// a kink (perceptron at t·z = 0, hinge at t·z = 1, ReLU at z = 0) are left out, since no finite
/// difference can agree with a subgradient there.
/// </summary>
public sealed class GradientCheckTests
{
    private const float H = 1e-2f;

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var kernel in new[] { "managed", "openblas" })
        {
            foreach (var model in new[] { "linreg", "logreg", "softmax", "perceptron", "svm" }) data.Add(model, "relu", kernel);
            foreach (var activation in ModelSpec.Activations) data.Add("mlp", activation, kernel);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Analytic_gradient_matches_central_finite_differences(string kind, string activation, string kernelName)
    {
        var classes = kind switch { "linreg" => 0, "softmax" or "mlp" => 3, _ => 2 };
        Check(new ModelSpec(kind, Features: 5, classes, Hidden: kind == "mlp" ? [6, 4] : [], activation), kernelName);
    }

    /// <summary>
    /// Convolutions with and without stride and padding, max and average pooling with and without
    /// overlap, on 2 × 7 × 6 images (odd sizes: a partial window at the edge is dropped), then dense
    /// layers. Smooth activations keep the rows clear of ReLU's kink; max pooling's ties are what
    /// random inputs leave.
    /// </summary>
    public static TheoryData<string, string, string> ConvolutionCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var kernel in new[] { "managed", "openblas" })
        {
            data.Add("conv3x3x3,maxpool2,dense5", "tanh", kernel);
            data.Add("conv3x3x2s2p1,avgpool2s1,dense4", "sigmoid", kernel);
            data.Add("conv2x2x3p1,conv3x3x2s2,avgpool2", "tanh", kernel);
            data.Add("conv3x3x2s2p1,maxpool3s1,dense4", "tanh", kernel);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Convolution_and_pooling_gradients_match_central_finite_differences(string layers, string activation, string kernelName) =>
        Check(new ModelSpec(ModelSpec.Cnn, Features: 2 * 7 * 6, 3, [], activation) { InputShape = [2, 7, 6], Layers = layers }, kernelName);

    /// <summary>With dropout the mask is fixed by the step and the rows, so the gradient is exact for it too.</summary>
    [Theory]
    [MemberData(nameof(KernelsUnderTest.Names), MemberType = typeof(KernelsUnderTest))]
    public void With_dropout_the_gradient_of_the_masked_network_matches_finite_differences(string kernelName)
    {
        Check(new ModelSpec("mlp", Features: 5, 3, [8, 6], "tanh") { Dropout = 0.5 }, kernelName, dropout: true);
        Check(new ModelSpec(ModelSpec.Cnn, Features: 2 * 7 * 6, 3, [], "sigmoid") { InputShape = [2, 7, 6], Layers = "conv3x3x2,avgpool2,dense6", Dropout = 0.3 }, kernelName, dropout: true);
    }

    private static void Check(ModelSpec spec, string kernelName, bool dropout = false)
    {
        var kernel = KernelsUnderTest.Get(kernelName);
        var network = new Network(spec);
        var weights = network.Initialise(11);
        var rng = new Rng(5);
        for (var i = 0; i < weights.Length; i++) weights[i] += (float)(0.5 * rng.NextGaussian()); // away from the tiny initial scale

        var (x, y, rows) = RowsAwayFromKinks(network, kernel, weights, spec, wanted: 8);
        var ws = network.CreateWorkspace(rows);
        var analytic = new float[network.ParameterCount];
        int[] ids = dropout ? [3, 14, 15, 92, 65, 35, 89, 79] : [];
        network.Gradient(kernel, weights, x, y, rows, analytic, ws, new DropoutRows(7, 2, 5, ids));
        if (dropout) Assert.Contains(ws.Layers, b => b.Dropped && b.Mask.Contains(0f));

        var scratch = new float[network.ParameterCount];
        for (var p = 0; p < weights.Length; p++)
        {
            var original = weights[p];
            weights[p] = original + H;
            var plus = network.Gradient(kernel, weights, x, y, rows, scratch, ws, new DropoutRows(7, 2, 5, ids));
            weights[p] = original - H;
            var minus = network.Gradient(kernel, weights, x, y, rows, scratch, ws, new DropoutRows(7, 2, 5, ids));
            weights[p] = original;
            var numeric = (plus - minus) / (2 * H);
            var tolerance = 1e-3 + 1e-2 * Math.Abs(analytic[p]);
            Assert.True(Math.Abs(numeric - analytic[p]) <= tolerance,
                $"{spec}: parameter {p}: analytic {analytic[p]:G6}, numeric {numeric:G6}");
        }
    }

    /// <summary>For a max-pooling layer, the smallest gap between a window's largest input and the next: where it is small, a step h may change the winner.</summary>
    private static double MaxPoolMargin(Layer layer, float[] input)
    {
        if (layer is not PoolLayer { Kind: PoolLayer.Max } pool) return double.PositiveInfinity;
        var (h, w) = (pool.Input.Height, pool.Input.Width);
        var margin = double.PositiveInfinity;
        for (var c = 0; c < pool.Input.Channels; c++)
            for (var y = 0; y < pool.Output.Height; y++)
                for (var x = 0; x < pool.Output.Width; x++)
                {
                    var window = new List<float>();
                    for (var i = 0; i < pool.Kernel; i++)
                        for (var j = 0; j < pool.Kernel; j++) window.Add(input[c * h * w + (y * pool.Stride + i) * w + x * pool.Stride + j]);
                    window.Sort();
                    margin = Math.Min(margin, window[^1] - window[^2]);
                }
        return margin;
    }

    /// <summary>Random rows, keeping only those whose outputs and hidden pre-activations are clear of every kink.</summary>
    private static (float[] X, float[] Y, int Rows) RowsAwayFromKinks(Network network, Trainer.Core.Kernels.IKernel kernel, float[] weights, ModelSpec spec, int wanted)
    {
        var candidates = TestData.Random(200, spec.Features, spec.Classes, seed: 9);
        var ws = network.CreateWorkspace(1);
        var x = new List<float>();
        var y = new List<float>();
        for (var i = 0; i < candidates.Count && y.Count < wanted; i++)
        {
            var row = candidates.Row(i);
            if (row.ToArray().Any(v => Math.Abs(v) > 3)) continue;
            var output = network.Forward(kernel, weights, row, 1, ws)[0];
            var t = candidates.Y[i] > 0 ? 1 : -1;
            var clear = spec.Kind switch
            {
                "perceptron" => Math.Abs(output) > 0.3,
                "svm" => Math.Abs(t * output - 1) > 0.3,
                "mlp" when spec.Activation == "relu" => Enumerable.Range(0, network.LayerCount - 1).All(l => ws.Layers[l].Z.All(z => Math.Abs(z) > 0.3)),
                ModelSpec.Cnn => Enumerable.Range(1, network.LayerCount - 1).All(l => MaxPoolMargin(network.Layers[l], ws.Layers[l - 1].A) > 0.05),
                _ => true,
            };
            if (!clear) continue;
            x.AddRange(row.ToArray());
            y.Add(candidates.Y[i]);
        }
        Assert.Equal(wanted, y.Count);
        return (x.ToArray(), y.ToArray(), y.Count);
    }
}
