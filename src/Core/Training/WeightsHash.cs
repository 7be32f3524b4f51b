using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Trainer.Core.Training;

/// <summary>SHA-256 of a parameter vector as little-endian float32 bytes: the determinism contract's fingerprint.</summary>
public static class WeightsHash
{
    public static string Sha256(ReadOnlySpan<float> weights) => Convert.ToHexStringLower(SHA256.HashData(ToBytes(weights)));

    public static byte[] ToBytes(ReadOnlySpan<float> weights)
    {
        var bytes = new byte[weights.Length * sizeof(float)];
        for (var i = 0; i < weights.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), weights[i]);
        return bytes;
    }

    public static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        var weights = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < weights.Length; i++) weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        return weights;
    }
}
