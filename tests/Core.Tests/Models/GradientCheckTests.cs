using Trainer.Core.Data;
using Trainer.Core.Models;
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
        var kernel = KernelsUnderTest.Get(kernelName);
        var classes = kind switch { "linreg" => 0, "softmax" or "mlp" => 3, _ => 2 };
        var spec = new ModelSpec(kind, Features: 5, classes, Hidden: kind == "mlp" ? [6, 4] : [], activation);
        var network = new Network(spec);
        var weights = network.Initialise(11);
        var rng = new Rng(5);
        for (var i = 0; i < weights.Length; i++) weights[i] += (float)(0.5 * rng.NextGaussian()); // away from the tiny initial scale

        var (x, y, rows) = RowsAwayFromKinks(network, kernel, weights, spec, wanted: 8);
        var ws = network.CreateWorkspace(rows);
        var analytic = new float[network.ParameterCount];
        network.Gradient(kernel, weights, x, y, rows, analytic, ws);

        var scratch = new float[network.ParameterCount];
        for (var p = 0; p < weights.Length; p++)
        {
            var original = weights[p];
            weights[p] = original + H;
            var plus = network.Gradient(kernel, weights, x, y, rows, scratch, ws);
            weights[p] = original - H;
            var minus = network.Gradient(kernel, weights, x, y, rows, scratch, ws);
            weights[p] = original;
            var numeric = (plus - minus) / (2 * H);
            var tolerance = 1e-3 + 1e-2 * Math.Abs(analytic[p]);
            Assert.True(Math.Abs(numeric - analytic[p]) <= tolerance,
                $"{spec}: parameter {p}: analytic {analytic[p]:G6}, numeric {numeric:G6}");
        }
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
                "mlp" when spec.Activation == "relu" => Enumerable.Range(0, network.LayerCount - 1).All(l => ws.Z[l].All(z => Math.Abs(z) > 0.3)),
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
