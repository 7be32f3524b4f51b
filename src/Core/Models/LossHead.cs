namespace Trainer.Core.Models;

/// <summary>
/// The loss on a model's raw outputs, with its gradient with respect to those outputs, and the
/// prediction it implies. Losses are summed in double; the gradient is float32 like everything on the wire.
/// </summary>
public abstract class LossHead
{
    /// <summary>Width of the model's output layer.</summary>
    public abstract int Outputs { get; }

    /// <summary>Sum over rows of the loss; when dOutputs is not empty, writes ∂loss_i/∂outputs_i per row.</summary>
    public abstract double Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, Span<float> dOutputs);

    /// <summary>The prediction for one row of outputs: a class index, or the regression value.</summary>
    public abstract float Predict(ReadOnlySpan<float> output);

    /// <summary>
    /// The mean loss a healthy run stays within a small factor of, for the divergence guard: the
    /// larger of the job's first mean loss and the loss of a model whose outputs are all zero
    /// (ln K for softmax, ln 2 for logistic, 1 for the hinge), so a loss that starts at zero still
    /// has a scale. Null where a finite loss can never mean an explosion (the perceptron).
    /// </summary>
    public abstract double? DivergenceReference(double firstMeanLoss);

    public static LossHead For(ModelSpec spec) => spec.Kind switch
    {
        ModelSpec.LinearRegression => new SquaredError(spec.TargetMean, spec.TargetScale),
        ModelSpec.LogisticRegression => new BinaryCrossEntropy(),
        ModelSpec.Perceptron => new PerceptronLoss(),
        ModelSpec.Svm => new HingeLoss(),
        ModelSpec.Softmax => new SoftmaxCrossEntropy(spec.Classes),
        ModelSpec.Mlp when spec.IsRegression => new SquaredError(spec.TargetMean, spec.TargetScale),
        ModelSpec.Mlp or ModelSpec.LeNet or ModelSpec.Cnn => new SoftmaxCrossEntropy(spec.Classes),
        _ => throw new ArgumentException($"unknown model {spec.Kind}"),
    };
}

/// <summary>
/// ½(ŷ − y)², as in d2l's linear regression, with the network's output o read in the target's
/// standardised units: ŷ = σ·o + μ (μ, σ the training target's mean and standard deviation). The
/// loss is reported in the target's own units; the gradient written is that of the standardised
/// loss ½(o − z)², z = (y − μ)/σ, which is o − z = (ŷ − y)/σ: the same minimiser, with steps that do
/// not depend on the target's scale. With μ = 0 and σ = 1 it is the plain loss and gradient ŷ − y.
/// </summary>
public sealed class SquaredError(double mean = 0, double scale = 1) : LossHead
{
    private readonly float _mean = (float)mean, _scale = (float)scale;

    public override int Outputs => 1;

    public override double Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, Span<float> dOutputs)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var diff = _scale * outputs[i] + _mean - labels[i];
            sum += 0.5 * (double)diff * diff;
            if (!dOutputs.IsEmpty) dOutputs[i] = diff / _scale;
        }
        return sum;
    }

    public override float Predict(ReadOnlySpan<float> output) => _scale * output[0] + _mean;

    /// <summary>Zero outputs cost the labels' own scale, which the first step measures.</summary>
    public override double? DivergenceReference(double firstMeanLoss) => Math.Max(firstMeanLoss, 1e-3);
}

/// <summary>Binary cross-entropy on the logit z, written stably: max(z,0) − y·z + log(1 + e^−|z|).</summary>
public sealed class BinaryCrossEntropy : LossHead
{
    public override int Outputs => 1;

    public override double Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, Span<float> dOutputs)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            double z = outputs[i], y = labels[i];
            sum += Math.Max(z, 0) - y * z + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            if (!dOutputs.IsEmpty) dOutputs[i] = (float)(Sigmoid(z) - y);
        }
        return sum;
    }

    public override float Predict(ReadOnlySpan<float> output) => output[0] > 0 ? 1 : 0;

    public override double? DivergenceReference(double firstMeanLoss) => Math.Max(firstMeanLoss, Math.Log(2));

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
}

/// <summary>
/// A margin loss max(0, m − t·z) on one output with t = ±1 from the 0/1 classes, its subgradient −t
/// where the row is <see cref="Active"/>, and the prediction 1 where z &gt; 0.
/// </summary>
public abstract class MarginLoss(float margin) : LossHead
{
    public override int Outputs => 1;

    /// <summary>Whether a row whose t·z is <paramref name="rowMargin"/> gets the subgradient −t.</summary>
    protected abstract bool Active(float rowMargin);

    public override double Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, Span<float> dOutputs)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var t = labels[i] > 0 ? 1f : -1f;
            var rowMargin = t * outputs[i];
            sum += Math.Max(0f, margin - rowMargin);
            if (!dOutputs.IsEmpty) dOutputs[i] = Active(rowMargin) ? -t : 0f;
        }
        return sum;
    }

    public override float Predict(ReadOnlySpan<float> output) => output[0] > 0 ? 1 : 0;
}

/// <summary>The perceptron criterion max(0, −t·z); its subgradient −t wherever t·z ≤ 0 (so a zero model still learns).</summary>
public sealed class PerceptronLoss() : MarginLoss(0f)
{
    protected override bool Active(float rowMargin) => rowMargin <= 0;

    /// <summary>
    /// None: max(0, −t·z) is positively homogeneous in (w, b) and its gradient is bounded by the
    /// inputs, so the weights grow at most linearly and a large loss only means large weights (it
    /// starts at exactly 0 when the first rows are on the right side). Only non-finite values stop it.
    /// </summary>
    public override double? DivergenceReference(double firstMeanLoss) => null;
}

/// <summary>The hinge loss max(0, 1 − t·z) of the linear SVM (its L2 term is the optimiser's weight decay).</summary>
public sealed class HingeLoss() : MarginLoss(1f)
{
    protected override bool Active(float rowMargin) => rowMargin < 1;

    /// <summary>Zero outputs cost 1 per row; the weight decay can still blow the weights up (lr·λ above 2).</summary>
    public override double? DivergenceReference(double firstMeanLoss) => Math.Max(firstMeanLoss, 1);
}

/// <summary>Softmax cross-entropy over K logits with the log-sum-exp shift: loss = log Σ e^(z−m) + m − z_y.</summary>
public sealed class SoftmaxCrossEntropy(int classes) : LossHead
{
    public override int Outputs => classes;

    public override double Loss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, Span<float> dOutputs)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var z = outputs.Slice(i * classes, classes);
            var max = System.Numerics.Tensors.TensorPrimitives.Max(z);
            double total = 0;
            for (var k = 0; k < classes; k++) total += Math.Exp(z[k] - max);
            var label = (int)labels[i];
            sum += Math.Log(total) + max - z[label];
            if (dOutputs.IsEmpty) continue;
            var d = dOutputs.Slice(i * classes, classes);
            for (var k = 0; k < classes; k++) d[k] = (float)(Math.Exp(z[k] - max) / total);
            d[label] -= 1f;
        }
        return sum;
    }

    public override float Predict(ReadOnlySpan<float> output) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);

    /// <summary>Zero logits cost ln K per row.</summary>
    public override double? DivergenceReference(double firstMeanLoss) => Math.Max(firstMeanLoss, Math.Log(classes));
}
