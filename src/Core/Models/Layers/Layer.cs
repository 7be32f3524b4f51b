using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// One layer of a <see cref="Network"/>: its forward pass over a batch of rows, and its backward pass,
/// which leaves the gradient at its outputs in <c>buffers.DZ</c>, writes its parameters' gradient sums
/// (overwritten, not added to) unless the network computes them over all partitions at once
/// (<see cref="GradientOverPartitions"/>), and, unless it is the first layer, the gradient with respect
/// to its input. Its parameters are a slice of the network's flat vector: weights from
/// <see cref="WeightOffset"/>, then biases.
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

    /// <summary>
    /// True when its parameters' gradient is a GEMM over its rows that <see cref="Network.ParameterGradients"/>
    /// computes for all partitions in one pass (<see cref="Kernels.TreeGemm"/>): a dense layer.
    /// </summary>
    public virtual bool GradientOverPartitions => false;

    /// <summary>
    /// From the gradient of its output (<c>buffers.DA</c>, which it may overwrite): the gradient at its
    /// outputs into <c>buffers.DZ</c>; its own parameters' gradient (weights, then biases) into
    /// <paramref name="ownGradient"/> unless <see cref="GradientOverPartitions"/>; and the input's into
    /// <paramref name="dInput"/> unless that is empty.
    /// </summary>
    public abstract void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> ownGradient, Span<float> dInput);

    protected ReadOnlySpan<float> WeightsOf(ReadOnlySpan<float> parameters) => parameters.Slice(WeightOffset, (int)WeightCount);
    protected ReadOnlySpan<float> BiasOf(ReadOnlySpan<float> parameters) => parameters.Slice(BiasOffset, (int)BiasCount);
}
