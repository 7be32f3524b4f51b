using Trainer.Core.Data;

namespace Trainer.Core.Models;

/// <summary>
/// The exact minimiser of the objective that SGD minimises for <c>--model svm</c>: the reference
/// the SVM is checked against, as <see cref="LeastSquares"/> is for linear regression.
/// <para>
/// The objective. The hinge head gives each row the loss max(0, 1 − t·z) with t = +1 for label 1
/// and −1 for label 0 (<see cref="HingeLoss"/>); a step's gradient is the mean of the rows'
/// gradients, and SGD adds λw to it for the weights but not the bias (<see cref="Optim.SgdOptimizer"/>).
/// λw is the gradient of (λ/2)‖w‖², so the function whose (sub)gradient SGD follows is
/// </para>
/// <code>
///   F(w, b) = (1/n) Σᵢ max(0, 1 − tᵢ(w·xᵢ + b)) + (λ/2)‖w‖²,     b not regularised.
/// </code>
/// <para>
/// Multiplied by 1/λ this is the textbook soft-margin SVM ½‖w‖² + C Σᵢ ξᵢ with C = 1/(λn), whose
/// dual is: minimise f(α) = ½ αᵀQα − Σᵢ αᵢ, Q_ij = tᵢtⱼ xᵢ·xⱼ, subject to 0 ≤ αᵢ ≤ C and Σᵢ αᵢtᵢ = 0,
/// with w = Σᵢ αᵢtᵢxᵢ. On F's scale the dual value is D(α) = λ(Σᵢ αᵢ − ½‖w(α)‖²) ≤ min F.
/// </para>
/// <para>
/// Why SMO. Dual coordinate descent (Hsieh et al. 2008) updates one αᵢ at a time, which is only
/// possible without the equality constraint Σ αᵢtᵢ = 0; that constraint is exactly the optimality
/// condition for an unregularised bias, so DCD handles a bias by appending a constant feature,
/// which puts (λ/2)b² into the objective: a different problem from the one SGD solves (and one
/// whose answer depends on the constant chosen). SMO (Platt 1998) moves two αs at once along the
/// constraint, so it keeps Σ αᵢtᵢ = 0 and solves the dual of F itself. We use LIBSVM's form of it:
/// the maximal-violating-pair i with the second-order choice of j (Fan, Chen and Lin 2005), on the
/// linear kernel with w kept explicitly.
/// </para>
/// <para>
/// Exactness. The dual gives w; the bias is then not read from the KKT conditions (undetermined
/// when no αᵢ is strictly inside (0, C)) but found by minimising F(w, ·) exactly: a convex
/// piecewise-linear function of b, minimal at one of its breakpoints bᵢ = tᵢ − w·xᵢ. The primal
/// value F(w, b) is attained by those parameters and the dual value bounds min F from below, so
/// the duality gap F − D certifies the answer: the solver tightens its stopping tolerance until
/// the gap is below the requested fraction of F. All arithmetic is in double precision.
/// </para>
/// </summary>
public static class LinearSvm
{
    /// <summary>LIBSVM's stand-in for a non-positive curvature ‖xᵢ − xⱼ‖² (duplicate rows).</summary>
    private const double Tau = 1e-12;

    /// <summary>
    /// The minimiser of F for labels 0/1 (t = −1/+1), with a certified relative duality gap
    /// (F − D)/F of at most <paramref name="relativeGap"/>.
    /// </summary>
    public static LinearSvmSolution Fit(Dataset data, double lambda, double relativeGap = 1e-10, long maxIterations = 50_000_000)
    {
        if (data.Classes != 2) throw new ArgumentException($"the linear SVM needs two classes; {data.Name} has {data.Classes}", nameof(data));
        if (!(lambda > 0) || !double.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be positive");
        if (!(relativeGap > 0)) throw new ArgumentOutOfRangeException(nameof(relativeGap), relativeGap, "the gap tolerance must be positive");

        var (n, d) = (data.Count, data.Features);
        var x = new double[n * d];
        for (var i = 0; i < x.Length; i++) x[i] = data.X[i];
        var t = new double[n];
        for (var i = 0; i < n; i++) t[i] = data.Y[i] > 0 ? 1 : -1;
        if (Array.IndexOf(t, 1.0) < 0 || Array.IndexOf(t, -1.0) < 0)
            throw new ArgumentException($"the linear SVM needs rows of both classes; {data.Name} has only one", nameof(data));

        var c = 1 / (lambda * n);
        var alpha = new double[n];
        var w = new double[d];
        var gradient = new double[n];           // ∂f/∂αₖ = tₖ w·xₖ − 1
        var squaredNorm = new double[n];        // Kₖₖ = ‖xₖ‖²
        var column = new double[n];             // K_ik = xᵢ·xₖ for the chosen i
        for (var k = 0; k < n; k++) squaredNorm[k] = Dot(x, k, x, k, d);

        long iterations = 0;
        var violationTolerance = 1e-3;
        while (true)
        {
            // SMO until the maximal KKT violation m(α) − M(α) is below the tolerance
            RecomputeGradient(x, t, w, gradient, n, d);
            while (true)
            {
                if (iterations >= maxIterations)
                    throw new InvalidOperationException($"SMO did not converge in {maxIterations} iterations (λ {lambda}, {n} rows)");
                // i: the most violating index that may move up along tᵢ
                int i = -1;
                var gMax = double.NegativeInfinity;
                for (var k = 0; k < n; k++)
                    if (t[k] > 0 ? alpha[k] < c : alpha[k] > 0)
                    {
                        var v = -t[k] * gradient[k];
                        if (v >= gMax) { gMax = v; i = k; }
                    }
                if (i < 0) break;
                for (var k = 0; k < n; k++) column[k] = Dot(x, i, x, k, d);

                // j: among the indices that may move down, the one whose pair step decreases f most
                int j = -1;
                var gMax2 = double.NegativeInfinity;
                var best = double.PositiveInfinity;
                for (var k = 0; k < n; k++)
                {
                    if (!(t[k] > 0 ? alpha[k] > 0 : alpha[k] < c)) continue;
                    var v = t[k] * gradient[k];
                    gMax2 = Math.Max(gMax2, v);
                    var gain = gMax + v;
                    if (gain <= 0) continue;
                    var curvature = squaredNorm[i] + squaredNorm[k] - 2 * column[k];
                    var decrease = -gain * gain / (curvature > 0 ? curvature : Tau);
                    if (decrease <= best) { best = decrease; j = k; }
                }
                if (j < 0 || gMax + gMax2 < violationTolerance) break;

                var (oldI, oldJ) = (alpha[i], alpha[j]);
                var quad = squaredNorm[i] + squaredNorm[j] - 2 * column[j];
                if (quad <= 0) quad = Tau;
                if (t[i] != t[j])
                {
                    var delta = (-gradient[i] - gradient[j]) / quad;
                    var diff = alpha[i] - alpha[j];
                    alpha[i] += delta; alpha[j] += delta;
                    if (diff > 0) { if (alpha[j] < 0) { alpha[j] = 0; alpha[i] = diff; } }
                    else if (alpha[i] < 0) { alpha[i] = 0; alpha[j] = -diff; }
                    if (diff > 0) { if (alpha[i] > c) { alpha[i] = c; alpha[j] = c - diff; } }
                    else if (alpha[j] > c) { alpha[j] = c; alpha[i] = c + diff; }
                }
                else
                {
                    var delta = (gradient[i] - gradient[j]) / quad;
                    var sum = alpha[i] + alpha[j];
                    alpha[i] -= delta; alpha[j] += delta;
                    if (sum > c) { if (alpha[i] > c) { alpha[i] = c; alpha[j] = sum - c; } }
                    else if (alpha[j] < 0) { alpha[j] = 0; alpha[i] = sum; }
                    if (sum > c) { if (alpha[j] > c) { alpha[j] = c; alpha[i] = sum - c; } }
                    else if (alpha[i] < 0) { alpha[i] = 0; alpha[j] = sum; }
                }

                // w moves by Δαᵢtᵢxᵢ + Δαⱼtⱼxⱼ; the gradient is recomputed from w, so it cannot drift from it
                var (stepI, stepJ) = ((alpha[i] - oldI) * t[i], (alpha[j] - oldJ) * t[j]);
                for (var f = 0; f < d; f++) w[f] += stepI * x[i * d + f] + stepJ * x[j * d + f];
                RecomputeGradient(x, t, w, gradient, n, d);
                iterations++;
            }

            // certify: w from α afresh, the exact bias for it, primal against dual
            Array.Clear(w);
            double alphaSum = 0;
            for (var k = 0; k < n; k++)
            {
                alphaSum += alpha[k];
                if (alpha[k] == 0) continue;
                for (var f = 0; f < d; f++) w[f] += alpha[k] * t[k] * x[k * d + f];
            }
            var bias = BestBias(x, t, w, n, d);
            var primal = Objective(x, t, w, bias, lambda, n, d);
            var dual = lambda * (alphaSum - 0.5 * Dot(w, w));
            if (primal - dual <= relativeGap * primal)
                return new LinearSvmSolution(w, bias, primal, dual, c, iterations);
            if (violationTolerance < 1e-15)
                throw new InvalidOperationException($"SMO cannot close the duality gap below {relativeGap:G3} of the objective in double precision: primal {primal:R}, dual {dual:R}");
            violationTolerance /= 10;
        }
    }

    /// <summary>F(w, b) for parameters in the linear model's order w₁…w_d, b (float32, as the network holds them), in double.</summary>
    public static double Objective(Dataset data, ReadOnlySpan<float> parameters, double lambda)
    {
        if (parameters.Length != data.Features + 1)
            throw new ArgumentException($"a linear SVM on {data.Features} features has {data.Features + 1} parameters, not {parameters.Length}", nameof(parameters));
        var w = new double[data.Features];
        for (var f = 0; f < w.Length; f++) w[f] = parameters[f];
        return Objective(data, w, parameters[data.Features], lambda);
    }

    /// <summary>F(w, b) = (1/n) Σᵢ max(0, 1 − tᵢ(w·xᵢ + b)) + (λ/2)‖w‖², in double.</summary>
    public static double Objective(Dataset data, ReadOnlySpan<double> weights, double bias, double lambda)
    {
        var (n, d) = (data.Count, data.Features);
        if (weights.Length != d) throw new ArgumentException($"{d} weights expected, not {weights.Length}", nameof(weights));
        double hinge = 0;
        for (var i = 0; i < n; i++)
        {
            var row = data.Row(i);
            var z = bias;
            for (var f = 0; f < d; f++) z += weights[f] * row[f];
            hinge += Math.Max(0, 1 - (data.Y[i] > 0 ? 1 : -1) * z);
        }
        return hinge / n + 0.5 * lambda * Dot(weights, weights);
    }

    private static double Objective(double[] x, double[] t, double[] w, double bias, double lambda, int n, int d)
    {
        double hinge = 0;
        for (var i = 0; i < n; i++) hinge += Math.Max(0, 1 - t[i] * (Dot(w, x, i, d) + bias));
        return hinge / n + 0.5 * lambda * Dot(w, w);
    }

    /// <summary>
    /// argmin over b of Σᵢ max(0, 1 − tᵢ(sᵢ + b)), sᵢ = w·xᵢ: term i bends at bᵢ = tᵢ − sᵢ (a positive
    /// row's term falls to 0 there, a negative row's rises from 0), so the slope just right of b is
    /// #{negatives with bᵢ ≤ b} − #{positives with bᵢ > b}; the minimum is at the first breakpoint
    /// where it stops being negative.
    /// </summary>
    private static double BestBias(double[] x, double[] t, double[] w, int n, int d)
    {
        var breakpoints = new double[n];
        var positive = new bool[n];
        for (var i = 0; i < n; i++) { breakpoints[i] = t[i] - Dot(w, x, i, d); positive[i] = t[i] > 0; }
        Array.Sort(breakpoints, positive);
        var positivesAbove = positive.Count(p => p);
        var negativesAtOrBelow = 0;
        for (var k = 0; k < n; k++)
        {
            if (positive[k]) positivesAbove--; else negativesAtOrBelow++;
            var lastOfTies = k == n - 1 || breakpoints[k + 1] > breakpoints[k];
            if (lastOfTies && negativesAtOrBelow - positivesAbove >= 0) return breakpoints[k];
        }
        return breakpoints[n - 1]; // not reached: past the last breakpoint the slope is the number of negatives
    }

    private static void RecomputeGradient(double[] x, double[] t, double[] w, double[] gradient, int n, int d)
    {
        for (var k = 0; k < n; k++) gradient[k] = t[k] * Dot(w, x, k, d) - 1;
    }

    private static double Dot(double[] a, int i, double[] b, int k, int d)
    {
        double sum = 0;
        for (var f = 0; f < d; f++) sum += a[i * d + f] * b[k * d + f];
        return sum;
    }

    private static double Dot(double[] w, double[] x, int row, int d)
    {
        double sum = 0;
        for (var f = 0; f < d; f++) sum += w[f] * x[row * d + f];
        return sum;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var f = 0; f < a.Length; f++) sum += a[f] * b[f];
        return sum;
    }
}

/// <summary>
/// The SVM's exact optimum: weights and bias, the objective F there (Primal), the dual value D
/// that bounds min F from below (so min F ∈ [Dual, Primal]), C = 1/(λn) and SMO's iterations.
/// </summary>
public sealed record LinearSvmSolution(double[] Weights, double Bias, double Primal, double Dual, double C, long Iterations)
{
    public double Gap => Primal - Dual;

    /// <summary>The parameters in the linear model's order w₁…w_d, b, as float32 for the network.</summary>
    public float[] Parameters() => [.. Weights.Select(v => (float)v), (float)Bias];
}
