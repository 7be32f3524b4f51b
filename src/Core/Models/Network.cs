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
    private readonly int[] _ownOffsets;

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
        _ownOffsets = new int[_layers.Length];
        var own = 0;
        for (var l = 0; l < _layers.Length; l++)
        {
            _ownOffsets[l] = own;
            if (!_layers[l].GradientOverPartitions) own += (int)(_layers[l].WeightCount + _layers[l].BiasCount);
        }
        OwnGradientLength = own;
    }

    /// <summary>The most elements a .NET array holds: the parameter vector is one array.</summary>
    public static readonly long MaxParameters = Array.MaxLength;

    private static long Count(IEnumerable<Layer> layers) => layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>The parameter count of a model, counted without overflow and without building it.</summary>
    public static long CountParameters(ModelSpec spec) => Count(LayerPlan.Build(spec, LossHead.For(spec).Outputs));

    /// <summary>The floats of a partition's own gradients (<see cref="OwnGradientLength"/>) of a model, without building it.</summary>
    public static long OwnGradientFloats(ModelSpec spec) =>
        LayerPlan.Build(spec, LossHead.For(spec).Outputs).Where(l => !l.GradientOverPartitions).Sum(l => l.WeightCount + l.BiasCount);

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
    /// The forward and backward pass of one partition's rows: returns the sum of their losses and leaves
    /// every layer's gradient at its outputs in <paramref name="ws"/>; the parameter gradients of layers
    /// that are not computed over partitions (convolutions) go into <paramref name="ownGradients"/>, at
    /// <see cref="OwnGradientOffset"/>. <see cref="ParameterGradients"/> then sums the parameters'
    /// gradients over the partitions. With <paramref name="dropout"/> (a training step) hidden units are dropped as it says.
    /// </summary>
    public double Backpropagate(IKernel kernel, ReadOnlySpan<float> weights, float[] x, ReadOnlySpan<float> labels, int rows, Workspace ws, Span<float> ownGradients,
        in DropoutRows dropout = default)
    {
        if (rows == 0) { ownGradients.Clear(); return 0; }
        Forward(kernel, weights, x, rows, ws, dropout);
        var last = _layers.Length - 1;
        var outputs = ws.Layers[last].Output(rows * OutputWidth);
        var loss = Head.Loss(outputs, labels[..rows], ws.Layers[last].DA.AsSpan(0, rows * OutputWidth));
        for (var l = last; l >= 0; l--)
        {
            var layer = _layers[l];
            var input = l == 0 ? x.AsSpan(0, rows * Spec.Features) : ws.Layers[l - 1].Output(rows * layer.InputSize);
            var dInput = l == 0 ? Span<float>.Empty : ws.Layers[l - 1].DA.AsSpan(0, rows * layer.InputSize);
            var own = layer.GradientOverPartitions ? Span<float>.Empty : ownGradients.Slice(_ownOffsets[l], (int)(layer.WeightCount + layer.BiasCount));
            layer.Backward(kernel, weights, input, rows, ws.Layers[l], own, dInput);
        }
        return loss;
    }

    /// <summary>One partition after <see cref="Backpropagate"/>: its workspace, its input rows, their count, and its own gradients.</summary>
    public readonly record struct PartitionPass(Workspace Workspace, float[] X, int Rows, float[] OwnGradients);

    /// <summary>
    /// The parameters' gradient sums of backpropagated partitions, per aligned block (indices into
    /// <paramref name="partitions"/>), each added along the fixed tree and written into its vector of
    /// <paramref name="outputs"/> (overwritten); each partition's squared norm of its own sum is added to
    /// <paramref name="squaredNorms"/>, layer by layer. Dense layers are one pass over all partitions
    /// (<see cref="TreeGemm"/>, its tiles spread over <paramref name="threads"/>); the others add their
    /// partitions' own gradients along the same tree.
    /// </summary>
    public void ParameterGradients(IReadOnlyList<PartitionPass> partitions, IReadOnlyList<(int Start, int Count)> blocks, IReadOnlyList<float[]> outputs,
        double[] squaredNorms, int threads)
    {
        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            if (layer.WeightCount + layer.BiasCount == 0) continue;
            if (layer.GradientOverPartitions)
            {
                var parts = partitions.Select(p => new TreeGemm.Part(p.Workspace.Layers[l].DZ, l == 0 ? p.X : p.Workspace.Layers[l - 1].OutputArray, p.Rows)).ToArray();
                TreeGemm.WeightGradient(parts, layer.OutputSize, layer.InputSize, blocks, outputs, layer.WeightOffset, squaredNorms, threads);
                TreeGemm.ColumnSums(parts, layer.OutputSize, blocks, outputs, layer.BiasOffset, squaredNorms);
                continue;
            }
            var length = (int)(layer.WeightCount + layer.BiasCount);
            var own = partitions.Select(p => p.OwnGradients.AsSpan(_ownOffsets[l], length).ToArray()).ToArray();
            for (var p = 0; p < own.Length; p++) squaredNorms[p] += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(own[p]);
            for (var b = 0; b < blocks.Count; b++) TreeGemm.TreeInto(own, blocks[b].Start, blocks[b].Count, outputs[b].AsSpan(layer.WeightOffset, length));
        }
    }

    /// <summary>Floats of a partition's own gradients: the parameters of the layers not computed over partitions.</summary>
    public int OwnGradientLength { get; }

    /// <summary>Where layer l's own gradients start in a partition's <see cref="PartitionPass.OwnGradients"/>.</summary>
    public int OwnGradientOffset(int layer) => _ownOffsets[layer];

    /// <summary>
    /// The sum over the rows of the loss, and the sum of the per-row gradients written into
    /// <paramref name="gradient"/> (overwritten): one partition of a step, computed as training computes it.
    /// </summary>
    public double Gradient(IKernel kernel, ReadOnlySpan<float> weights, float[] x, ReadOnlySpan<float> labels, int rows, float[] gradient, Workspace ws,
        in DropoutRows dropout = default)
    {
        var own = new float[OwnGradientLength];
        var loss = Backpropagate(kernel, weights, x, labels, rows, ws, own, dropout);
        ParameterGradients([new PartitionPass(ws, x, rows, own)], [(0, 1)], [gradient], new double[1], threads: 1);
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
