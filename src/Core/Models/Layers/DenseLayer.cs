using System.Numerics.Tensors;
using Trainer.Core.Kernels;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// A fully connected layer z = x·Wᵀ + b (W outputs × inputs), then the activation and, on a hidden
/// layer in training, inverted dropout; the output layer has neither. Its products are the product's
/// own (<see cref="Kernels.DotGemm"/> forward, <see cref="Kernels.TreeGemm"/> for the weights' gradient),
/// so their bits depend on no library; the input's gradient is the kernel's GEMM. An image input is read as its
/// flattened row (C, H, W order), as ONNX's Flatten does.
/// </summary>
public sealed class DenseLayer(string name, int inputs, int outputs, string? activation, double dropoutRate, int index)
    : Layer(name, Shape.Flat(inputs), Shape.Flat(outputs))
{
    private readonly int _inputs = inputs, _outputs = outputs;

    /// <summary>relu, tanh, sigmoid; null for the output layer.</summary>
    public string? Activation { get; } = activation;
    public double Dropout { get; } = dropoutRate;

    public override long WeightCount => (long)_inputs * _outputs;
    public override long BiasCount => _outputs;

    public override IEnumerable<ParameterTensor> Tensors(string prefix) =>
    [
        new(prefix + "weight", WeightOffset, _outputs, _inputs, IsBias: false),
        new(prefix + "bias", BiasOffset, 1, _outputs, IsBias: true),
    ];

    public override long BufferFloats(int rows) => (long)rows * _outputs * (Activation is null ? 2 : Dropout > 0 ? 6 : 4);

    public override LayerBuffers CreateBuffers(int maxRows)
    {
        var size = maxRows * _outputs;
        if (Activation is null)
        {
            var (z, dz) = (new float[size], new float[size]);
            return new LayerBuffers { Z = z, A = z, DZ = dz, DA = dz };
        }
        return new LayerBuffers
        {
            Z = new float[size], A = new float[size], DZ = new float[size], DA = new float[size],
            Mask = Dropout > 0 ? new float[size] : [], Kept = Dropout > 0 ? new float[size] : [],
        };
    }

    public override void Forward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, in DropoutRows dropout)
    {
        var z = buffers.Z.AsSpan(0, rows * _outputs);
        Kernels.DotGemm.Multiply(input[..(rows * _inputs)], WeightsOf(parameters), z, rows, _outputs, _inputs, _outputs); // row by row, whatever the other rows
        var bias = BiasOf(parameters);
        buffers.Dropped = false;
        if (Activation is null)
        {
            for (var r = 0; r < rows; r++) TensorPrimitives.Add(z.Slice(r * _outputs, _outputs), bias, z.Slice(r * _outputs, _outputs));
            return;
        }
        var a = buffers.A.AsSpan(0, rows * _outputs);
        Models.Activation.ForwardWithBias(Activation, z, bias, a);
        if (Dropout > 0 && dropout.Active)
        {
            var mask = buffers.Mask.AsSpan(0, rows * _outputs);
            for (var r = 0; r < rows; r++) dropout.Fill(r, index, Dropout, mask.Slice(r * _outputs, _outputs));
            TensorPrimitives.Multiply(a, mask, buffers.Kept.AsSpan(0, rows * _outputs));
            buffers.Dropped = true;
        }
    }

    public override bool GradientOverPartitions => true;

    /// <summary>dZ, and dInput = dZ · W; dW = dZᵀ · input and db = the column sums of dZ are <see cref="Kernels.TreeGemm"/>'s, over all partitions at once.</summary>
    public override void Backward(IKernel kernel, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int rows, LayerBuffers buffers, Span<float> ownGradient, Span<float> dInput)
    {
        var dZ = buffers.DZ.AsSpan(0, rows * _outputs);
        if (Activation is not null)
        {
            var dA = buffers.DA.AsSpan(0, rows * _outputs);
            if (buffers.Dropped) TensorPrimitives.Multiply(dA, buffers.Mask.AsSpan(0, rows * _outputs), dA);
            Models.Activation.Backward(Activation, buffers.Z.AsSpan(0, rows * _outputs), buffers.A.AsSpan(0, rows * _outputs), dA, dZ);
        }
        // dInput = dZ · W
        if (!dInput.IsEmpty) kernel.Gemm(false, false, rows, _inputs, _outputs, 1f, dZ, _outputs, WeightsOf(parameters), _inputs, 0f, dInput, _inputs);
    }
}
