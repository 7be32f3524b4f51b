namespace Trainer.Core.Models.Layers;

/// <summary>
/// A layer's buffers for a batch: Z before the activation, A after it, DZ and DA their gradients (for a
/// layer without activation A is Z and DA is DZ); dropout's mask and the kept output; max pooling's
/// winners; convolution's unfolded columns, the GEMM's product, and one padded image and its gradient.
/// </summary>
public sealed class LayerBuffers
{
    public float[] Z { get; init; } = [];
    public float[] A { get; init; } = [];
    public float[] DZ { get; init; } = [];
    public float[] DA { get; init; } = [];
    public float[] Mask { get; init; } = [];
    public float[] Kept { get; init; } = [];
    public int[] Winners { get; init; } = [];
    public float[] Columns { get; init; } = [];
    public float[] Product { get; init; } = [];
    public float[] Padded { get; init; } = [];
    public float[] PaddedGradient { get; init; } = [];

    /// <summary>Whether the last forward pass dropped units (training), so that the output is <see cref="Kept"/>.</summary>
    public bool Dropped { get; set; }

    public ReadOnlySpan<float> Output(int length) => OutputArray.AsSpan(0, length);

    /// <summary>The array the output is in: <see cref="Kept"/> after dropout, else <see cref="A"/>.</summary>
    public float[] OutputArray => Dropped ? Kept : A;
}
