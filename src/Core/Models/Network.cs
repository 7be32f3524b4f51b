using Trainer.Core.Kernels;
using Trainer.Core.Models.Layers;
using Trainer.Core.Random;

namespace Trainer.Core.Models;

/// <summary>
/// Every model of the product as a feed-forward network of <see cref="Layer"/>s over one flat float32
/// parameter vector: the linear models are a single dense layer (d → 1, or d → K for softmax), the
/// MLP adds hidden layers, and LeNet and the cnn models start with convolutions and pooling
/// (<see cref="LayerPlan"/>); a <see cref="LossHead"/> on top makes it linear or logistic regression,
/// perceptron, SVM or a classifier. Parameter order: layer by layer, weights then biases.
/// </summary>
public sealed class Network
{
    private readonly Layer[] _layers;

    public Network(ModelSpec spec)
    {
        Spec = spec;
        Head = LossHead.For(spec);
        _layers = LayerPlan.Build(spec, Head.Outputs);
        if (Count(_layers) is var count && count > MaxParameters)
            throw new UserInputException($"the model {spec} would have {count:N0} parameters, more than one float32 vector holds ({MaxParameters:N0}); use smaller {(spec.IsConvolutional ? "--layers" : "--hidden widths")}");

        var tensors = new List<ParameterTensor>();
        var offset = 0;
        foreach (var layer in _layers)
        {
            layer.WeightOffset = offset;
            tensors.AddRange(layer.Tensors(layer.Name == "" ? "" : layer.Name + "."));
            offset += (int)(layer.WeightCount + layer.BiasCount);
        }
        Tensors = tensors;
        ParameterCount = offset;
    }

    /// <summary>The most elements a .NET array holds: the parameter vector is one array.</summary>
    public static readonly long MaxParameters = Array.MaxLength;

    private static long Count(IEnumerable<Layer> layers) => layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>The parameter count of a model, counted without overflow and without building it.</summary>
    public static long CountParameters(ModelSpec spec) => Count(LayerPlan.Build(spec, LossHead.For(spec).Outputs));

    /// <summary>The floats of a <see cref="Workspace"/> for a batch of <paramref name="rows"/> rows.</summary>
    public static long WorkspaceFloats(ModelSpec spec, int rows) =>
        (long)rows * (spec.Features + 1) + LayerPlan.Build(spec, LossHead.For(spec).Outputs).Sum(l => l.BufferFloats(rows));

    public ModelSpec Spec { get; }
    public LossHead Head { get; }
    public IReadOnlyList<Layer> Layers => _layers;
    public IReadOnlyList<ParameterTensor> Tensors { get; }
    public int ParameterCount { get; }
    public int LayerCount => _layers.Length;
    public int OutputWidth => Head.Outputs;

    /// <summary>
    /// Seeded initial weights: He normal before ReLU, Glorot normal before tanh/sigmoid and at an
    /// MLP's output, N(0, 0.01²) for the linear models (as d2l); a convolution's fan-in is C·K·K and
    /// its fan-out M·K·K; biases zero.
    /// </summary>
    public float[] Initialise(ulong seed)
    {
        var weights = new float[ParameterCount];
        var rng = Rng.For(seed, RandomStream.Initialisation);
        foreach (var layer in _layers)
        {
            var (fanIn, fanOut, activation) = layer switch
            {
                DenseLayer dense => (dense.InputSize, dense.OutputSize, dense.Activation),
                ConvLayer conv => (conv.Input.Channels * conv.Kernel * conv.Kernel, conv.Channels * conv.Kernel * conv.Kernel, conv.Activation),
                _ => (0, 0, null),
            };
            if (layer.WeightCount == 0) continue;
            var std = LayerCount == 1 ? 0.01
                : activation == "relu" ? Math.Sqrt(2.0 / fanIn)
                : Math.Sqrt(2.0 / (fanIn + fanOut));
            var w = weights.AsSpan(layer.WeightOffset, (int)layer.WeightCount);
            for (var i = 0; i < w.Length; i++) w[i] = (float)(rng.NextGaussian() * std);
        }
        return weights;
    }

    public Workspace CreateWorkspace(int maxRows) => new(_layers, Spec.Features, maxRows);

    /// <summary>Outputs of the network for <paramref name="rows"/> rows of x, left in the workspace; no dropout.</summary>
    public ReadOnlySpan<float> Forward(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, int rows, Workspace ws)
    {
        Forward(kernel, weights, x, rows, ws, default);
        return ws.Layers[^1].Output(rows * OutputWidth);
    }

    private void Forward(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, int rows, Workspace ws, in DropoutRows dropout)
    {
        var input = x[..(rows * Spec.Features)];
        for (var l = 0; l < _layers.Length; l++)
        {
            _layers[l].Forward(kernel, weights, input, rows, ws.Layers[l], dropout);
            input = ws.Layers[l].Output(rows * _layers[l].OutputSize);
        }
    }

    /// <summary>
    /// The sum over the rows of the loss, and the sum of the per-row gradients written into
    /// <paramref name="gradient"/> (overwritten, not added to): the partial sums that are combined across partitions.
    /// With <paramref name="dropout"/> (a training step) hidden units are dropped as it says.
    /// </summary>
    public double Gradient(IKernel kernel, ReadOnlySpan<float> weights, ReadOnlySpan<float> x, ReadOnlySpan<float> labels, int rows, Span<float> gradient, Workspace ws,
        in DropoutRows dropout = default)
    {
        if (rows == 0) { gradient.Clear(); return 0; }
        Forward(kernel, weights, x, rows, ws, dropout);
        var last = _layers.Length - 1;
        var outputs = ws.Layers[last].Output(rows * OutputWidth);
        var loss = Head.Loss(outputs, labels[..rows], ws.Layers[last].DA.AsSpan(0, rows * OutputWidth));
        for (var l = last; l >= 0; l--)
        {
            var layer = _layers[l];
            var input = l == 0 ? x[..(rows * Spec.Features)] : ws.Layers[l - 1].Output(rows * layer.InputSize);
            var dInput = l == 0 ? Span<float>.Empty : ws.Layers[l - 1].DA.AsSpan(0, rows * layer.InputSize);
            layer.Backward(kernel, weights, input, rows, ws.Layers[l], gradient, dInput);
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
}

/// <summary>Reusable per-thread buffers for a batch of up to MaxRows rows: no allocation inside the step loop.</summary>
public sealed class Workspace
{
    internal Workspace(IReadOnlyList<Layer> layers, int features, int maxRows)
    {
        MaxRows = maxRows;
        Layers = layers.Select(l => l.CreateBuffers(maxRows)).ToArray();
        BatchX = new float[maxRows * features];
        BatchY = new float[maxRows];
    }

    public int MaxRows { get; }
    public LayerBuffers[] Layers { get; }

    /// <summary>Where a batch's rows are gathered before the forward pass.</summary>
    public float[] BatchX { get; }
    public float[] BatchY { get; }
}
