using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// Max or average pooling of each channel over K × K windows every <c>stride</c> pixels, without
/// padding (PyTorch's and ONNX's default: a partial window at the edge is dropped). Max pooling keeps
/// each window's first largest input, and its gradient goes there alone.
/// </summary>
public sealed class PoolLayer(string name, Shape input, string kind, int kernel, int stride)
    : Layer(name, input, new Shape(input.Channels, (input.Height - kernel) / stride + 1, (input.Width - kernel) / stride + 1))
{
    public const string Max = "max", Average = "avg";
    public static IReadOnlyList<string> Kinds { get; } = [Max, Average];

    public string Kind { get; } = kind;
    public int Kernel { get; } = kernel;
    public int Stride { get; } = stride;

    public override long BufferFloats(int rows) => 2L * rows * OutputSize + (Kind == Max ? (long)rows * OutputSize : 0);

    public override LayerBuffers CreateBuffers(int maxRows)
    {
        var size = maxRows * OutputSize;
        return new LayerBuffers { A = new float[size], DA = new float[size], Winners = Kind == Max ? new int[size] : [] };
    }

    public override void Forward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, in DropoutRows dropout)
    {
        if (Kernel == 2 && Stride == 2) { ForwardTwoByTwo(input, rows, buffers); return; }
        var (h, w, ho, wo) = (Input.Height, Input.Width, Output.Height, Output.Width);
        var scale = 1f / (Kernel * Kernel);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < Input.Channels; c++)
            {
                var plane = r * InputSize + c * h * w;
                var target = r * OutputSize + c * ho * wo;
                for (var y = 0; y < ho; y++)
                    for (var x = 0; x < wo; x++)
                    {
                        var corner = plane + y * Stride * w + x * Stride;
                        if (Kind == Max)
                        {
                            var best = corner;
                            for (var i = 0; i < Kernel; i++)
                                for (var j = 0; j < Kernel; j++)
                                    if (input[corner + i * w + j] > input[best]) best = corner + i * w + j;
                            buffers.A[target + y * wo + x] = input[best];
                            buffers.Winners[target + y * wo + x] = best - r * InputSize;
                        }
                        else
                        {
                            var sum = 0f;
                            for (var i = 0; i < Kernel; i++)
                                for (var j = 0; j < Kernel; j++) sum += input[corner + i * w + j];
                            buffers.A[target + y * wo + x] = sum * scale;
                        }
                    }
            }
    }

    /// <summary>The common 2 × 2 window every 2 pixels, two input rows at a time: the same values as the general loop, several times faster.</summary>
    private void ForwardTwoByTwo(ReadOnlySpan<float> input, int rows, LayerBuffers buffers)
    {
        var (h, w, ho, wo) = (Input.Height, Input.Width, Output.Height, Output.Width);
        var max = Kind == Max;
        for (var p = 0; p < rows * Input.Channels; p++)
        {
            var (r, c) = Math.DivRem(p, Input.Channels);
            var planeStart = r * InputSize + c * h * w;
            var output = buffers.A.AsSpan(p * ho * wo, ho * wo);
            var winners = max ? buffers.Winners.AsSpan(p * ho * wo, ho * wo) : default;
            for (var y = 0; y < ho; y++)
            {
                var topStart = planeStart + 2 * y * w;
                var top = input.Slice(topStart, w);
                var bottom = input.Slice(topStart + w, w);
                var outRow = output.Slice(y * wo, wo);
                if (!max)
                {
                    for (var x = 0; x < wo; x++) outRow[x] = (top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1]) * 0.25f;
                    continue;
                }
                var winRow = winners.Slice(y * wo, wo);
                var rowOffset = topStart - r * InputSize;
                for (var x = 0; x < wo; x++)
                {
                    var (best, at) = (top[2 * x], 2 * x);
                    if (top[2 * x + 1] > best) (best, at) = (top[2 * x + 1], 2 * x + 1);
                    if (bottom[2 * x] > best) (best, at) = (bottom[2 * x], w + 2 * x);
                    if (bottom[2 * x + 1] > best) (best, at) = (bottom[2 * x + 1], w + 2 * x + 1);
                    outRow[x] = best;
                    winRow[x] = rowOffset + at;
                }
            }
        }
    }

    public override void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> ownGradient, Span<float> dInput)
    {
        if (dInput.IsEmpty) return;
        dInput.Clear();
        var (w, ho, wo) = (Input.Width, Output.Height, Output.Width);
        var scale = 1f / (Kernel * Kernel);
        for (var r = 0; r < rows; r++)
        {
            var dOut = buffers.DA.AsSpan(r * OutputSize, OutputSize);
            var dIn = dInput.Slice(r * InputSize, InputSize);
            if (Kind == Max)
            {
                var winners = buffers.Winners.AsSpan(r * OutputSize, OutputSize);
                for (var o = 0; o < OutputSize; o++) dIn[winners[o]] += dOut[o];
                continue;
            }
            for (var c = 0; c < Input.Channels; c++)
                for (var y = 0; y < ho; y++)
                    for (var x = 0; x < wo; x++)
                    {
                        var share = dOut[(c * ho + y) * wo + x] * scale;
                        var corner = c * Input.Height * w + y * Stride * w + x * Stride;
                        for (var i = 0; i < Kernel; i++)
                            for (var j = 0; j < Kernel; j++) dIn[corner + i * w + j] += share;
                    }
        }
    }
}
