using System.Numerics.Tensors;
using Trainer.Core.Kernels;
using Trainer.Core.Random;

namespace Trainer.Core.Models;

/// <summary>
/// Every model of the product as a feed-forward network over one flat float32 parameter vector:
/// the linear models are a single dense layer (d → 1, or d → K for softmax) and the MLP adds hidden
/// layers; a <see cref="LossHead"/> on top makes it linear or logistic regression, perceptron, SVM
/// or a classifier. Parameter order: layer by layer, weights (outputs × inputs, row-major) then biases.
/// </summary>
public sealed class Network
{
    private readonly int[] _widths;

    public Network(ModelSpec spec)
    {
        Spec = spec;
        Head = LossHead.For(spec);
        _widths = Widths(spec, Head);
        if (CountParameters(spec) is var count && count > MaxParameters)
            throw new UserInputException($"the model {spec} would have {count:N0} parameters, more than one float32 vector holds ({MaxParameters:N0}); use smaller --hidden widths");

        var tensors = new List<ParameterTensor>();
        var offset = 0;
        for (var l = 0; l < LayerCount; l++)
        {
            var (inputs, outputs) = (_widths[l], _widths[l + 1]);
            var prefix = LayerCount == 1 ? "" : $"layer{l + 1}.";
            tensors.Add(new ParameterTensor(prefix + "weight", offset, outputs, inputs, IsBias: false));
            offset += outputs * inputs;
            tensors.Add(new ParameterTensor(prefix + "bias", offset, 1, outputs, IsBias: true));
            offset += outputs;
        }
        Tensors = tensors;
        ParameterCount = offset;
    }

    /// <summary>The most elements a .NET array holds: the parameter vector is one array.</summary>
    public static readonly long MaxParameters = Array.MaxLength;

    /// <summary>Layer widths: the inputs, the hidden layers, the head's outputs.</summary>
    private static int[] Widths(ModelSpec spec, LossHead head) => [spec.Features, .. spec.Kind == ModelSpec.Mlp ? spec.Hidden : [], head.Outputs];

    /// <summary>The parameter count of a model, counted without overflow and without building it.</summary>
    public static long CountParameters(ModelSpec spec)
    {
        var widths = Widths(spec, LossHead.For(spec));
        long count = 0;
        for (var l = 0; l + 1 < widths.Length; l++) count += ((long)widths[l] + 1) * widths[l + 1];
        return count;
    }

    /// <summary>The floats of a <see cref="Workspace"/> for a batch of <paramref name="rows"/> rows.</summary>
    public static long WorkspaceFloats(ModelSpec spec, int rows)
    {
        var widths = Widths(spec, LossHead.For(spec));
        long floats = (long)rows * (widths[0] + 1);
        for (var l = 0; l + 1 < widths.Length; l++) floats += (long)rows * widths[l + 1] * (l + 2 < widths.Length ? 4 : 2);
        return floats;
    }

    public ModelSpec Spec { get; }
    public LossHead Head { get; }
    public IReadOnlyList<ParameterTensor> Tensors { get; }
    public int ParameterCount { get; }
    public int LayerCount => _widths.Length - 1;
    public int OutputWidth => Head.Outputs;

    /// <summary>Seeded initial weights: He normal before ReLU, Glorot normal before tanh/sigmoid and at an MLP's output, N(0, 0.01²) for the linear models (as d2l); biases zero.</summary>
    public float[] Initialise(ulong seed)
    {
        var weights = new float[ParameterCount];
        var rng = Rng.For(seed, RandomStream.Initialisation);
        for (var l = 0; l < LayerCount; l++)
        {
            var (inputs, outputs) = (_widths[l], _widths[l + 1]);
            var last = l == LayerCount - 1;
            var std = LayerCount == 1 ? 0.01
                : !last && Spec.Activation == "relu" ? Math.Sqrt(2.0 / inputs)
                : Math.Sqrt(2.0 / (inputs + outputs));
            var w = WeightsOf(weights.AsSpan(), l);
            for (var i = 0; i < w.Length; i++) w[i] = (float)(rng.NextGaussian() * std);
        }
        return weights;
    }

    public Workspace CreateWorkspace(int maxRows) => new(_widths, maxRows);

    /// <summary>Outputs of the network for <paramref name="rows"/> rows of x, left in the workspace.</summary>
    public ReadOnlySpan<float> Forward(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, int rows, Workspace ws)
    {
        var input = x[..(rows * _widths[0])];
        for (var l = 0; l < LayerCount; l++)
        {
            var (inputs, outputs) = (_widths[l], _widths[l + 1]);
            var z = ws.Z[l].AsSpan(0, rows * outputs);
            kernel.Gemm(false, true, rows, outputs, inputs, 1f, input, inputs, WeightsOf(weights, l), inputs, 0f, z, outputs);
            var bias = BiasOf(weights, l);
            if (l == LayerCount - 1)
            {
                for (var r = 0; r < rows; r++) TensorPrimitives.Add(z.Slice(r * outputs, outputs), bias, z.Slice(r * outputs, outputs));
                return z;
            }
            var a = ws.A[l].AsSpan(0, rows * outputs);
            Activation.ForwardWithBias(Spec.Activation, z, bias, a);
            input = a;
        }
        throw new InvalidOperationException("a network has at least one layer");
    }

    /// <summary>
    /// The sum over the rows of the loss, and the sum of the per-row gradients written into
    /// <paramref name="gradient"/> (overwritten, not added to): the partial sums that are combined across partitions.
    /// </summary>
    public double Gradient(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, ReadOnlySpan<float> labels, int rows, Span<float> gradient, Workspace ws)
    {
        if (rows == 0) { gradient.Clear(); return 0; }
        var outputs = Forward(kernel, weights, x, rows, ws);
        var last = LayerCount - 1;
        var dZ = ws.DZ[last].AsSpan(0, rows * _widths[last + 1]);
        var loss = Head.Loss(outputs, labels[..rows], dZ);

        for (var l = last; l >= 0; l--)
        {
            var (inputs, width) = (_widths[l], _widths[l + 1]);
            ReadOnlySpan<float> input = l == 0 ? x[..(rows * inputs)] : ws.A[l - 1].AsSpan(0, rows * inputs);
            // dW = dZᵀ · input, db = column sums of dZ
            kernel.Gemm(true, false, width, inputs, rows, 1f, dZ, width, input, inputs, 0f, WeightsOf(gradient, l), inputs);
            var db = BiasOf(gradient, l);
            dZ[..width].CopyTo(db);
            for (var r = 1; r < rows; r++) TensorPrimitives.Add(db, dZ.Slice(r * width, width), db);
            if (l == 0) break;

            // dA = dZ · W, then through the activation of layer l−1
            var dA = ws.DA[l - 1].AsSpan(0, rows * inputs);
            kernel.Gemm(false, false, rows, inputs, width, 1f, dZ, width, WeightsOf(weights, l), inputs, 0f, dA, inputs);
            var dZPrevious = ws.DZ[l - 1].AsSpan(0, rows * inputs);
            Activation.Backward(Spec.Activation, ws.Z[l - 1].AsSpan(0, rows * inputs), ws.A[l - 1].AsSpan(0, rows * inputs), dA, dZPrevious);
            dZ = dZPrevious;
        }
        return loss;
    }

    /// <summary>Loss, correct predictions and squared errors of these rows, added to <paramref name="sums"/>.</summary>
    public void Score(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, ReadOnlySpan<float> labels, int rows, Workspace ws, ref MetricSums sums)
    {
        var outputs = Forward(kernel, weights, x, rows, ws);
        sums.Count += rows;
        sums.LossSum += Head.Loss(outputs, labels[..rows], []);
        var width = OutputWidth;
        for (var r = 0; r < rows; r++)
        {
            var prediction = Head.Predict(outputs.Slice(r * width, width));
            double label = labels[r];
            if (Spec.IsRegression)
            {
                sums.SquaredError += (prediction - label) * (prediction - label);
                sums.LabelSum += label;
                sums.LabelSquareSum += label * label;
            }
            else if (prediction == labels[r]) sums.Correct++;
        }
    }

    private Span<float> WeightsOf(Span<float> parameters, int layer) => parameters.Slice(Tensors[2 * layer].Offset, Tensors[2 * layer].Length);
    private ReadOnlySpan<float> WeightsOf(ReadOnlySpan<float> parameters, int layer) => parameters.Slice(Tensors[2 * layer].Offset, Tensors[2 * layer].Length);
    private Span<float> BiasOf(Span<float> parameters, int layer) => parameters.Slice(Tensors[2 * layer + 1].Offset, Tensors[2 * layer + 1].Length);
    private ReadOnlySpan<float> BiasOf(ReadOnlySpan<float> parameters, int layer) => parameters.Slice(Tensors[2 * layer + 1].Offset, Tensors[2 * layer + 1].Length);
}

/// <summary>Reusable per-thread buffers for a batch of up to MaxRows rows: no allocation inside the step loop.</summary>
public sealed class Workspace
{
    internal Workspace(int[] widths, int maxRows)
    {
        MaxRows = maxRows;
        var layers = widths.Length - 1;
        Z = new float[layers][]; A = new float[layers][]; DZ = new float[layers][]; DA = new float[layers][];
        for (var l = 0; l < layers; l++)
        {
            var size = maxRows * widths[l + 1];
            Z[l] = new float[size]; DZ[l] = new float[size];
            A[l] = l < layers - 1 ? new float[size] : [];
            DA[l] = l < layers - 1 ? new float[size] : [];
        }
        BatchX = new float[maxRows * widths[0]];
        BatchY = new float[maxRows];
    }

    public int MaxRows { get; }
    internal float[][] Z { get; }
    internal float[][] A { get; }
    internal float[][] DZ { get; }
    internal float[][] DA { get; }

    /// <summary>Where a batch's rows are gathered before the forward pass.</summary>
    public float[] BatchX { get; }
    public float[] BatchY { get; }
}
