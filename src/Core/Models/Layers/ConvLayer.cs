using System.Numerics.Tensors;
using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// A 2-D convolution (square kernel, stride, zero padding) and its activation, as im2col and one GEMM
/// per group of rows: the group's columns side by side (C·K·K × n·positions) times the weights
/// (out channels × C·K·K, ONNX's [M, C, K, K] order) give out channels × n·positions, copied back per
/// row (NCHW) with the bias added. With stride 1 the columns are wide (<see cref="Im2Col.UnfoldWide"/>):
/// every output row spans the padded input's width, so each kernel tap is one contiguous copy.
/// Backward reuses the layout: dW = dZ·columnsᵀ accumulated over the groups, and the input's gradient
/// is Wᵀ·dZ folded back. Groups are sized by the layer's shape alone, so the same rows give the same
/// GEMMs, and the same bits, wherever they are computed.
/// </summary>
public sealed class ConvLayer : Layer
{
    /// <summary>At most this many floats of unfolded columns per group (4 MB, cache-friendly).</summary>
    private const long ColumnBudget = 1 << 20;

    private readonly int _columnRows, _rowWidth, _positions, _groupRows;
    private readonly bool _wide;
    private readonly Shape _padded;

    public ConvLayer(string name, Shape input, int channels, int kernel, int stride, int padding, string activation)
        : base(name, input, new Shape(channels, (input.Height + 2 * padding - kernel) / stride + 1, (input.Width + 2 * padding - kernel) / stride + 1))
    {
        (Channels, Kernel, Stride, Padding, Activation) = (channels, kernel, stride, padding, activation);
        _columnRows = input.Channels * kernel * kernel;
        _wide = stride == 1;
        _padded = new Shape(input.Channels, input.Height + 2 * padding, input.Width + 2 * padding);
        _rowWidth = _wide ? _padded.Width : Output.Width;
        _positions = Output.Height * _rowWidth;
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

    private bool Pads => _wide && Padding > 0;

    public override long BufferFloats(int rows) =>
        4L * rows * OutputSize + (long)Math.Min(rows, _groupRows) * _positions * (_columnRows + Channels) + (Pads ? 2 * _padded.Size : 0);

    public override LayerBuffers CreateBuffers(int maxRows)
    {
        var (size, group) = (maxRows * OutputSize, Math.Min(maxRows, _groupRows) * _positions);
        return new LayerBuffers
        {
            Z = new float[size], A = new float[size], DZ = new float[size], DA = new float[size],
            Columns = new float[_columnRows * group], Product = new float[Channels * group],
            Padded = Pads ? new float[_padded.Size] : [], PaddedGradient = Pads ? new float[_padded.Size] : [],
        };
    }

    public override void Forward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, in DropoutRows dropout)
    {
        var weights = WeightsOf(parameters);
        var bias = BiasOf(parameters);
        var (ho, wo) = (Output.Height, Output.Width);
        for (var first = 0; first < rows; first += _groupRows)
        {
            var n = Math.Min(_groupRows, rows - first);
            var ld = n * _positions;
            var columns = buffers.Columns.AsSpan(0, _columnRows * ld);
            for (var s = 0; s < n; s++) Unfold(input.Slice((first + s) * InputSize, InputSize), buffers, columns, ld, s * _positions);
            var product = buffers.Product.AsSpan(0, Channels * ld);
            kernel.Gemm(false, false, Channels, ld, _columnRows, 1f, weights, _columnRows, columns, ld, 0f, product, ld);
            for (var s = 0; s < n; s++)
            {
                var z = buffers.Z.AsSpan((first + s) * OutputSize, OutputSize);
                for (var m = 0; m < Channels; m++)
                    for (var y = 0; y < ho; y++)
                        TensorPrimitives.Add(product.Slice(m * ld + s * _positions + y * _rowWidth, wo), bias[m], z.Slice((m * ho + y) * wo, wo));
            }
        }
        Models.Activation.Forward(Activation, buffers.Z.AsSpan(0, rows * OutputSize), buffers.A.AsSpan(0, rows * OutputSize));
    }

    public override void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> ownGradient, Span<float> dInput)
    {
        var dZ = buffers.DZ.AsSpan(0, rows * OutputSize);
        Models.Activation.Backward(Activation, buffers.Z.AsSpan(0, rows * OutputSize), buffers.A.AsSpan(0, rows * OutputSize), buffers.DA.AsSpan(0, rows * OutputSize), dZ);

        var (ho, wo) = (Output.Height, Output.Width);
        var plane = ho * wo;
        var db = ownGradient[(int)WeightCount..];
        for (var m = 0; m < Channels; m++)
        {
            var sum = 0f;
            for (var r = 0; r < rows; r++) sum += TensorPrimitives.Sum(dZ.Slice(r * OutputSize + m * plane, plane));
            db[m] = sum;
        }

        var weights = WeightsOf(parameters);
        var dW = ownGradient[..(int)WeightCount];
        for (var first = 0; first < rows; first += _groupRows)
        {
            var n = Math.Min(_groupRows, rows - first);
            var ld = n * _positions;
            var columns = buffers.Columns.AsSpan(0, _columnRows * ld);
            var product = buffers.Product.AsSpan(0, Channels * ld);
            for (var s = 0; s < n; s++)
            {
                Unfold(input.Slice((first + s) * InputSize, InputSize), buffers, columns, ld, s * _positions);
                var dz = dZ.Slice((first + s) * OutputSize, OutputSize);
                for (var m = 0; m < Channels; m++)
                {
                    var target = product.Slice(m * ld + s * _positions, _positions);
                    if (_rowWidth != wo) target.Clear(); // the wide rows' filler columns carry no gradient
                    for (var y = 0; y < ho; y++) dz.Slice((m * ho + y) * wo, wo).CopyTo(target.Slice(y * _rowWidth, wo));
                }
            }
            kernel.Gemm(false, true, Channels, _columnRows, ld, 1f, product, ld, columns, ld, first == 0 ? 0f : 1f, dW, _columnRows);
            if (dInput.IsEmpty) continue;
            kernel.Gemm(true, false, _columnRows, ld, Channels, 1f, weights, _columnRows, product, ld, 0f, columns, ld);
            for (var s = 0; s < n; s++) Fold(columns, ld, s * _positions, buffers, dInput.Slice((first + s) * InputSize, InputSize));
        }
    }

    private void Unfold(ReadOnlySpan<float> image, LayerBuffers buffers, Span<float> columns, int ld, int offset)
    {
        if (!_wide) { Im2Col.Unfold(image, Input, Kernel, Stride, Padding, Output, columns, ld, offset); return; }
        if (Pads) Im2Col.Pad(image, Input, Padding, buffers.Padded);
        Im2Col.UnfoldWide(Pads ? buffers.Padded : image, _padded, Kernel, Output.Height, columns, ld, offset);
    }

    private void Fold(ReadOnlySpan<float> columns, int ld, int offset, LayerBuffers buffers, Span<float> dImage)
    {
        if (!_wide) { dImage.Clear(); Im2Col.Fold(columns, ld, offset, Input, Kernel, Stride, Padding, Output, dImage); return; }
        var target = Pads ? buffers.PaddedGradient.AsSpan() : dImage;
        target.Clear();
        Im2Col.FoldWide(columns, ld, offset, _padded, Kernel, Output.Height, target);
        if (Pads) Im2Col.Unpad(target, Input, Padding, dImage);
    }
}
