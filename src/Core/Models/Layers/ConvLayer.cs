using System.Numerics.Tensors;
using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// A 2-D convolution (square kernel, stride, zero padding) and its activation, as im2col and one GEMM
/// per group of rows: the group's columns side by side (C·K·K × n·Ho·Wo) times the weights
/// (out channels × C·K·K, ONNX's [M, C, K, K] order) give out channels × n·Ho·Wo, copied back per row
/// (NCHW) with the bias added. Backward reuses the same layout: dW = dZ·columnsᵀ accumulated over the
/// groups, and the input's gradient is Wᵀ·dZ folded back. Groups are sized by the layer's shape alone,
/// so the same rows give the same GEMMs, and the same bits, wherever they are computed.
/// </summary>
public sealed class ConvLayer : Layer
{
    /// <summary>At most this many floats of unfolded columns per group (4 MB, cache-friendly).</summary>
    private const long ColumnBudget = 1 << 20;

    private readonly int _columnRows, _positions, _groupRows;

    public ConvLayer(string name, Shape input, int channels, int kernel, int stride, int padding, string activation)
        : base(name, input, new Shape(channels, (input.Height + 2 * padding - kernel) / stride + 1, (input.Width + 2 * padding - kernel) / stride + 1))
    {
        (Channels, Kernel, Stride, Padding, Activation) = (channels, kernel, stride, padding, activation);
        _columnRows = input.Channels * kernel * kernel;
        _positions = Output.Height * Output.Width;
        _groupRows = (int)Math.Max(1, ColumnBudget / ((long)_columnRows * _positions));
    }

    public int Channels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public string Activation { get; }

    public override long WeightCount => (long)Channels * _columnRows;
    public override long BiasCount => Channels;

    public override IEnumerable<ParameterTensor> Tensors(string prefix) =>
    [
        new(prefix + "weight", WeightOffset, Channels, _columnRows, IsBias: false),
        new(prefix + "bias", BiasOffset, 1, Channels, IsBias: true),
    ];

    private long GroupFloats(int rows) => (long)Math.Min(rows, _groupRows) * _positions * (_columnRows + Channels);

    public override long BufferFloats(int rows) => 4L * rows * OutputSize + GroupFloats(rows);

    public override LayerBuffers CreateBuffers(int maxRows)
    {
        var (size, group) = (maxRows * OutputSize, Math.Min(maxRows, _groupRows) * _positions);
        return new LayerBuffers
        {
            Z = new float[size], A = new float[size], DZ = new float[size], DA = new float[size],
            Columns = new float[_columnRows * group], Product = new float[Channels * group],
        };
    }

    public override void Forward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, in DropoutRows dropout)
    {
        var weights = WeightsOf(parameters);
        var bias = BiasOf(parameters);
        for (var first = 0; first < rows; first += _groupRows)
        {
            var n = Math.Min(_groupRows, rows - first);
            var ld = n * _positions;
            var columns = buffers.Columns.AsSpan(0, _columnRows * ld);
            for (var s = 0; s < n; s++) Im2Col.Unfold(input.Slice((first + s) * InputSize, InputSize), Input, Kernel, Stride, Padding, Output, columns, ld, s * _positions);
            var product = buffers.Product.AsSpan(0, Channels * ld);
            kernel.Gemm(false, false, Channels, ld, _columnRows, 1f, weights, _columnRows, columns, ld, 0f, product, ld);
            for (var s = 0; s < n; s++)
                for (var m = 0; m < Channels; m++)
                    TensorPrimitives.Add(product.Slice(m * ld + s * _positions, _positions), bias[m], buffers.Z.AsSpan((first + s) * OutputSize + m * _positions, _positions));
        }
        Models.Activation.Forward(Activation, buffers.Z.AsSpan(0, rows * OutputSize), buffers.A.AsSpan(0, rows * OutputSize));
    }

    public override void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> gradient, Span<float> dInput)
    {
        var dZ = buffers.DZ.AsSpan(0, rows * OutputSize);
        Models.Activation.Backward(Activation, buffers.Z.AsSpan(0, rows * OutputSize), buffers.A.AsSpan(0, rows * OutputSize), buffers.DA.AsSpan(0, rows * OutputSize), dZ);

        var db = BiasOf(gradient);
        for (var m = 0; m < Channels; m++)
        {
            var sum = 0f;
            for (var r = 0; r < rows; r++) sum += TensorPrimitives.Sum(dZ.Slice(r * OutputSize + m * _positions, _positions));
            db[m] = sum;
        }

        var weights = WeightsOf(parameters);
        var dW = WeightsOf(gradient);
        if (!dInput.IsEmpty) dInput.Clear();
        for (var first = 0; first < rows; first += _groupRows)
        {
            var n = Math.Min(_groupRows, rows - first);
            var ld = n * _positions;
            var columns = buffers.Columns.AsSpan(0, _columnRows * ld);
            var product = buffers.Product.AsSpan(0, Channels * ld);
            for (var s = 0; s < n; s++)
            {
                Im2Col.Unfold(input.Slice((first + s) * InputSize, InputSize), Input, Kernel, Stride, Padding, Output, columns, ld, s * _positions);
                for (var m = 0; m < Channels; m++) dZ.Slice((first + s) * OutputSize + m * _positions, _positions).CopyTo(product.Slice(m * ld + s * _positions, _positions));
            }
            kernel.Gemm(false, true, Channels, _columnRows, ld, 1f, product, ld, columns, ld, first == 0 ? 0f : 1f, dW, _columnRows);
            if (dInput.IsEmpty) continue;
            kernel.Gemm(true, false, _columnRows, ld, Channels, 1f, weights, _columnRows, product, ld, 0f, columns, ld);
            for (var s = 0; s < n; s++) Im2Col.Fold(columns, ld, s * _positions, Input, Kernel, Stride, Padding, Output, dInput.Slice((first + s) * InputSize, InputSize));
        }
    }
}
