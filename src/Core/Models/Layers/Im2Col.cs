namespace Trainer.Core.Models.Layers;

/// <summary>
/// Unfolds an image (C × H × W) into columns for a convolution as a GEMM: row (c, kh, kw) of the
/// columns holds, for every output position (ho, wo), the input pixel under that kernel tap, or 0 in
/// the padding. Rows are <c>ld</c> floats apart, so the columns of several images sit side by side.
/// <see cref="Fold"/> adds columns back onto an image, the adjoint, for the input's gradient.
/// </summary>
public static class Im2Col
{
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
