using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// One layer of a <see cref="Network"/>: its forward pass over a batch of rows, and its backward pass,
/// which writes its parameters' gradient sums (overwritten, not added to) and, unless it is the first
/// layer, the gradient with respect to its input. Its parameters are a slice of the network's flat
/// vector: weights from <see cref="WeightOffset"/>, then biases.
/// </summary>
public abstract class Layer(string name, Shape input, Shape output)
{
    /// <summary>The prefix of its tensors' names (layer3 for the third layer), and its ONNX nodes'.</summary>
    public string Name { get; } = name;
    public Shape Input { get; } = input;
    public Shape Output { get; } = output;
    public int InputSize => (int)Input.Size;
    public int OutputSize => (int)Output.Size;

    public virtual long WeightCount => 0;
    public virtual long BiasCount => 0;
    public int WeightOffset { get; internal set; }
    public int BiasOffset => WeightOffset + (int)WeightCount;

    /// <summary>Its tensors in the parameter order: the weights (rows × columns, row-major), then the biases.</summary>
    public virtual IEnumerable<ParameterTensor> Tensors(string prefix) => [];

    /// <summary>The floats of its buffers for a batch of <paramref name="rows"/> rows.</summary>
    public abstract long BufferFloats(int rows);
    public abstract LayerBuffers CreateBuffers(int maxRows);

    /// <summary>Its output for these rows, left in <c>buffers.Output</c>.</summary>
    public abstract void Forward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, in DropoutRows dropout);

    /// <summary>From the gradient of its output (<c>buffers.DA</c>, which it may overwrite): its parameters' gradient into <paramref name="gradient"/>, and the input's into <paramref name="dInput"/> unless that is empty.</summary>
    public abstract void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> gradient, Span<float> dInput);

    protected ReadOnlySpan<float> WeightsOf(ReadOnlySpan<float> parameters) => parameters.Slice(WeightOffset, (int)WeightCount);
    protected Span<float> WeightsOf(Span<float> parameters) => parameters.Slice(WeightOffset, (int)WeightCount);
    protected ReadOnlySpan<float> BiasOf(ReadOnlySpan<float> parameters) => parameters.Slice(BiasOffset, (int)BiasCount);
    protected Span<float> BiasOf(Span<float> parameters) => parameters.Slice(BiasOffset, (int)BiasCount);
}
