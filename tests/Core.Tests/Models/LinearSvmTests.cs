using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Xunit.Abstractions;

namespace Trainer.Core.Tests.Models;

public sealed class LinearSvmTests(ITestOutputHelper log)
{
    private static Dataset Binary(float[,] points, float[] labels)
    {
        var (n, d) = (points.GetLength(0), points.GetLength(1));
        var x = new float[n * d];
        for (var i = 0; i < n; i++)
            for (var f = 0; f < d; f++) x[i * d + f] = points[i, f];
        return new Dataset("hand", n, d, x, labels, 2);
    }

    [Fact]
    public void Separable_points_far_from_the_origin_get_the_maximum_margin_line_with_an_unregularised_bias()
    {
        // positives right of x₁ = 11, negatives left of it, the nearest of each at distance 1:
        // the maximum-margin answer is w = (1, 0), b = −11 with every margin exactly 1, so the hinge
        // terms vanish and F = λ/2‖w‖² = λ/2. (A bias regularised by a constant feature would be
        // pulled towards 0 and tilt the line: b = −11 checks that the bias is free.)
        var data = Binary(new float[,] { { 12, 0 }, { 13, 1 }, { 13, -1 }, { 10, 0 }, { 9, 1 }, { 9, -1 } }, [1, 1, 1, 0, 0, 0]);
        const double lambda = 0.01; // C = 1/(λn) = 16.7, above the hard-margin multipliers ½: the soft margin is the hard one
        var fit = LinearSvm.Fit(data, lambda);

        Assert.Equal(1, fit.Weights[0], 1e-7);
        Assert.Equal(0, fit.Weights[1], 1e-7);
        Assert.Equal(-11, fit.Bias, 1e-6);
        Assert.Equal(lambda / 2, fit.Primal, 1e-10);
        Assert.InRange(fit.Gap, 0, 1e-10 * fit.Primal);
        Assert.Equal(fit.Primal, LinearSvm.Objective(data, fit.Weights, fit.Bias, lambda), 1e-14);
    }

    [Fact]
    public void Strong_regularisation_gives_the_hand_computed_optimum()
    {
        // x = +1 (t = +1) and x = −1 (t = −1). For w ≤ 1 and |b| ≤ 1 − w both rows are inside the
        // margin: F = ½[(1 − w − b) + (1 − w + b)] + λw²/2 = 1 − w + λw²/2, least at w = 1/λ.
        // With λ = 2: w = ½, F = ¾ (any b in [−½, ½] is optimal).
        var data = Binary(new float[,] { { 1 }, { -1 } }, [1, 0]);
        var fit = LinearSvm.Fit(data, 2);

        Assert.Equal(0.5, fit.Weights[0], 1e-9);
        Assert.InRange(fit.Bias, -0.5 - 1e-9, 0.5 + 1e-9);
        Assert.Equal(0.75, fit.Primal, 1e-9);
        Assert.InRange(fit.Gap, 0, 1e-10 * fit.Primal);
    }

    [Fact]
    public void On_overlapping_classes_the_duality_gap_certifies_the_optimum_and_no_nearby_point_is_lower()
    {
        var data = TestData.Random(200, 5, 2, seed: 3); // random labels: far from separable, many bound multipliers
        const double lambda = 1e-3;
        var fit = LinearSvm.Fit(data, lambda);
        log.WriteLine($"primal {fit.Primal:R}, dual {fit.Dual:R}, gap {fit.Gap:E2}, {fit.Iterations} SMO iterations");

        Assert.True(fit.Dual <= fit.Primal, "weak duality");
        Assert.InRange(fit.Gap / fit.Primal, 0, 1e-10);
        Assert.Equal(fit.Primal, LinearSvm.Objective(data, fit.Weights, fit.Bias, lambda), 1e-13);
        // the certificate says F cannot go below the dual value: a sweep of perturbations must agree
        var rng = new Trainer.Core.Random.Rng(9);
        for (var trial = 0; trial < 200; trial++)
        {
            var scale = 1e-3 * (1 + trial % 10);
            var w = fit.Weights.Select(v => v + scale * rng.NextGaussian()).ToArray();
            var b = fit.Bias + scale * rng.NextGaussian();
            Assert.True(LinearSvm.Objective(data, w, b, lambda) >= fit.Dual, $"trial {trial} went below the dual bound");
        }
    }

    [Fact]
    public void The_objective_is_the_products_mean_hinge_loss_plus_half_lambda_times_the_weights_squared_norm()
    {
        var data = TestData.Random(50, 4, 2, seed: 5);
        var network = new Network(new ModelSpec("svm", 4, 2, []));
        float[] parameters = [0.3f, -0.2f, 0.5f, 0.1f, 0.05f];
        var hinge = Evaluator.Evaluate(network, KernelsUnderTest.Get("managed"), parameters, data, 1).Loss;
        const double lambda = 0.1;
        var squaredNorm = parameters[..4].Sum(v => (double)v * v); // the bias is not in the L2 term
        Assert.Equal(hinge + lambda / 2 * squaredNorm, LinearSvm.Objective(data, parameters, lambda), 1e-6);
    }

    [Fact]
    public void The_svm_by_sgd_reaches_the_exact_optimum_within_one_percent_on_breast_cancer()
    {
        var data = DataLoader.Prepare(new DataSpec("breast-cancer", ValFraction: 0, Seed: 42), ModelSpec.LabelRuleFor("svm"));
        const double lambda = 1e-4; // trainer train's default --weight-decay for svm
        var exact = LinearSvm.Fit(data.Train, lambda);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = new ReferenceTrainer(KernelsUnderTest.Get("openblas")).Train(data, new TrainOptions
        {
            // mini-batch SGD with momentum, annealed to zero by the cosine schedule: the hinge is not smooth,
            // so a constant rate would leave SGD circling the optimum at a distance set by the rate
            Model = "svm", WeightDecay = lambda, Epochs = 2000, Batch = 32, Partitions = 4, LearningRate = 0.2, Momentum = 0.9, Schedule = "cosine",
        });
        var sgd = LinearSvm.Objective(data.Train, result.Weights, lambda);
        log.WriteLine($"{data.Train.Count} rows, C {exact.C:G4}: SGD objective {sgd:R}, exact {exact.Primal:R} (dual {exact.Dual:R}, {exact.Iterations} SMO iterations), " +
                      $"ratio {sgd / exact.Primal:F6}, SGD {clock.Elapsed.TotalSeconds:F2}s");

        Assert.InRange(exact.Gap / exact.Primal, 0, 1e-10);
        Assert.True(sgd >= exact.Dual * (1 - 1e-12), $"SGD objective {sgd:R} below the dual bound {exact.Dual:R}: the two objectives differ");
        Assert.True(sgd <= exact.Primal * 1.01, $"SGD objective {sgd:R}, exact optimum {exact.Primal:R} (ratio {sgd / exact.Primal:F4})");
    }
}
