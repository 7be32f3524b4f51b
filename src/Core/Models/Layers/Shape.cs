namespace Trainer.Core.Models.Layers;

/// <summary>What one row holds between layers: channels × height × width, stored row-major (NCHW per row). A dense layer's vector is n × 1 × 1.</summary>
public readonly record struct Shape(int Channels, int Height, int Width)
{
    public long Size => (long)Channels * Height * Width;
    public bool IsImage => Height > 1 || Width > 1;
    public static Shape Flat(int width) => new(width, 1, 1);
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
