namespace Trainer.Core.Models.Layers;

/// <summary>
/// Unfolds an image (C × H × W) into columns for a convolution as a GEMM: row (c, kh, kw) of the
/// columns holds, for every output position (ho, wo), the input pixel under that kernel tap, or 0 in
/// the padding. Rows are <c>ld</c> floats apart, so the columns of several images sit side by side.
/// <see cref="Fold"/> adds columns back onto an image, the adjoint, for the input's gradient.
/// With stride 1 the rows are "wide" instead (<see cref="UnfoldWide"/>): each output row spans the
/// whole (padded) input width, so a kernel tap's row is one contiguous run of the image and is copied
/// at once; the last K − 1 positions of every output row are filler, computed and then ignored.
/// </summary>
public static class Im2Col
{
    /// <summary>Stride 1: row (c, kh, kw) is the (padded) image from (c, kh, kw) on, Ho·Wp − K + 1 floats, then K − 1 zeros.</summary>
    public static void UnfoldWide(ReadOnlySpan<float> padded, Shape paddedShape, int kernel, int outputHeight, Span<float> columns, int ld, int offset)
    {
        var (h, w) = (paddedShape.Height, paddedShape.Width);
        var run = outputHeight * w - (kernel - 1);
        for (var c = 0; c < paddedShape.Channels; c++)
            for (var kh = 0; kh < kernel; kh++)
                for (var kw = 0; kw < kernel; kw++)
                {
                    var row = columns.Slice(((c * kernel + kh) * kernel + kw) * ld + offset, outputHeight * w);
                    padded.Slice((c * h + kh) * w + kw, run).CopyTo(row);
                    row[run..].Clear();
                }
    }

    /// <summary>The adjoint of <see cref="UnfoldWide"/>: every row's run added back onto the (padded) image (filler columns hold zeros).</summary>
    public static void FoldWide(ReadOnlySpan<float> columns, int ld, int offset, Shape paddedShape, int kernel, int outputHeight, Span<float> padded)
    {
        var (h, w) = (paddedShape.Height, paddedShape.Width);
        var run = outputHeight * w - (kernel - 1);
        for (var c = 0; c < paddedShape.Channels; c++)
            for (var kh = 0; kh < kernel; kh++)
                for (var kw = 0; kw < kernel; kw++)
                {
                    var target = padded.Slice((c * h + kh) * w + kw, run);
                    System.Numerics.Tensors.TensorPrimitives.Add(target, columns.Slice(((c * kernel + kh) * kernel + kw) * ld + offset, run), target);
                }
    }

    /// <summary>The image inside a zero border of <paramref name="padding"/> pixels.</summary>
    public static void Pad(ReadOnlySpan<float> image, Shape shape, int padding, Span<float> padded)
    {
        var (h, w, wp) = (shape.Height, shape.Width, shape.Width + 2 * padding);
        padded.Clear();
        for (var c = 0; c < shape.Channels; c++)
            for (var y = 0; y < h; y++)
                image.Slice((c * h + y) * w, w).CopyTo(padded.Slice((c * (h + 2 * padding) + y + padding) * wp + padding, w));
    }

    /// <summary>The inside of a padded image's gradient: what reaches the image itself.</summary>
    public static void Unpad(ReadOnlySpan<float> padded, Shape shape, int padding, Span<float> image)
    {
        var (h, w, wp) = (shape.Height, shape.Width, shape.Width + 2 * padding);
        for (var c = 0; c < shape.Channels; c++)
            for (var y = 0; y < h; y++)
                padded.Slice((c * (h + 2 * padding) + y + padding) * wp + padding, w).CopyTo(image.Slice((c * h + y) * w, w));
    }

    public static void Unfold(ReadOnlySpan<float> image, Shape input, int kernel, int stride, int padding, Shape output, Span<float> columns, int ld, int offset)
    {
        var (h, w, ho, wo) = (input.Height, input.Width, output.Height, output.Width);
        for (var c = 0; c < input.Channels; c++)
            for (var kh = 0; kh < kernel; kh++)
                for (var kw = 0; kw < kernel; kw++)
                {
                    var row = columns.Slice(((c * kernel + kh) * kernel + kw) * ld + offset, ho * wo);
                    var (first, end) = Valid(kw, stride, padding, w, wo);
                    for (var y = 0; y < ho; y++)
                    {
                        var target = row.Slice(y * wo, wo);
                        var hi = y * stride - padding + kh;
                        if (hi < 0 || hi >= h || first >= end) { target.Clear(); continue; }
                        var source = image.Slice((c * h + hi) * w, w);
                        target[..first].Clear();
                        if (stride == 1) source.Slice(first - padding + kw, end - first).CopyTo(target[first..end]);
                        else for (var x = first; x < end; x++) target[x] = source[x * stride - padding + kw];
                        target[end..].Clear();
                    }
                }
    }

    public static void Fold(ReadOnlySpan<float> columns, int ld, int offset, Shape input, int kernel, int stride, int padding, Shape output, Span<float> image)
    {
        var (h, w, ho, wo) = (input.Height, input.Width, output.Height, output.Width);
        for (var c = 0; c < input.Channels; c++)
            for (var kh = 0; kh < kernel; kh++)
                for (var kw = 0; kw < kernel; kw++)
                {
                    var row = columns.Slice(((c * kernel + kh) * kernel + kw) * ld + offset, ho * wo);
                    var (first, end) = Valid(kw, stride, padding, w, wo);
                    for (var y = 0; y < ho; y++)
                    {
                        var hi = y * stride - padding + kh;
                        if (hi < 0 || hi >= h) continue;
                        var target = image.Slice((c * h + hi) * w, w);
                        var source = row.Slice(y * wo, wo);
                        for (var x = first; x < end; x++) target[x * stride - padding + kw] += source[x];
                    }
                }
    }

    /// <summary>The output columns [first, end) whose input column x·stride − padding + kw is inside the image.</summary>
    private static (int First, int End) Valid(int kw, int stride, int padding, int width, int outputs)
    {
        var first = Math.Max(0, (padding - kw + stride - 1) / stride);
        var end = Math.Min(outputs, (width - 1 + padding - kw) / stride + 1);
        if (width - 1 + padding - kw < 0) end = 0;
        return (Math.Min(first, outputs), Math.Max(end, 0));
    }
}
