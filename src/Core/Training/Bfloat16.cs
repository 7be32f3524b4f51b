using System.Numerics;
using System.Runtime.InteropServices;

namespace Trainer.Core.Training;

/// <summary>
/// bfloat16: a float32's sign, exponent and top 7 mantissa bits. A float32 rounded to it (to nearest,
/// ties to even) is still a float32, whose low 16 bits are zero: the wire sends only the high half.
/// The range is float32's, so a gradient neither overflows nor flushes as it would in fp16; infinities
/// stay infinite and NaN stays NaN, for the server's finiteness check.
/// </summary>
public static class Bfloat16
{
    /// <summary>The nearest bfloat16 (ties to even), as a float32.</summary>
    public static float Round(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return BitConverter.UInt32BitsToSingle(RoundBits(bits));
    }

    /// <summary>Rounds every value in place.</summary>
    public static void Round(Span<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (bias, one, high) = (new Vector<uint>(0x7FFF), Vector<uint>.One, new Vector<uint>(0xFFFF0000));
            var (magnitude, infinity, quiet) = (new Vector<uint>(0x7FFFFFFF), new Vector<uint>(0x7F800000), new Vector<uint>(0x00400000));
            for (; i <= bits.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                var v = new Vector<uint>(bits[i..]);
                var rounded = (v + bias + ((v >> 16) & one)) & high;
                var nan = Vector.GreaterThan(v & magnitude, infinity);
                Vector.ConditionalSelect(nan, (v | quiet) & high, rounded).CopyTo(bits[i..]);
            }
        }
        for (; i < bits.Length; i++) bits[i] = RoundBits(bits[i]);
    }

    /// <summary>The bits of a float32 rounded to bfloat16; a NaN stays a (quiet) NaN instead of rounding to infinity.</summary>
    private static uint RoundBits(uint bits)
    {
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) return (bits | 0x00400000) & 0xFFFF0000;
        return (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000;
    }

    /// <summary>Whether a value is exactly a bfloat16 (its low 16 bits are zero): what the wire may send in 16 bits.</summary>
    public static bool IsExact(float value) => (BitConverter.SingleToUInt32Bits(value) & 0xFFFF) == 0;
}

/// <summary>
/// Error feedback for a lossy wire (Seide et al. 2014; Karimireddy et al. 2019): what rounding took from
/// a vector this step is added to the same vector's next step before it is rounded, so nothing is lost,
/// only late. One residual per block of the sender's sums, by the block's first partition and length:
/// a block that is cut differently starts from zero. The residual v − round(v) is exact in float32
/// (Sterbenz: round(v) is within a factor of two of v), apart from values that are denormal.
/// </summary>
public sealed class ErrorFeedback
{
    private readonly Dictionary<(int Start, int Length), float[]> _residuals = [];

    /// <summary>Residuals held, for the blocks of the last steps.</summary>
    public int Blocks => _residuals.Count;

    /// <summary>Adds the block's residual to <paramref name="sum"/>, rounds it to bfloat16 in place, and keeps what rounding took.</summary>
    public void Round(int start, float[] sum)
    {
        if (!_residuals.TryGetValue((start, sum.Length), out var residual)) _residuals[(start, sum.Length)] = residual = new float[sum.Length];
        Span<float> s = sum, r = residual;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(s[i..]) + new Vector<float>(r[i..])).CopyTo(s[i..]);
        for (; i < s.Length; i++) s[i] += r[i];
        s.CopyTo(r);
        Bfloat16.Round(s);
        i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(r[i..]) - new Vector<float>(s[i..])).CopyTo(r[i..]);
        for (; i < s.Length; i++) r[i] -= s[i];
    }

    /// <summary>Keeps only the residuals of these blocks (the sender's cut moved: the others are of blocks it no longer sends).</summary>
    public void KeepOnly(IEnumerable<(int Start, int Length)> blocks)
    {
        var keep = blocks.ToHashSet();
        foreach (var key in _residuals.Keys.Where(k => !keep.Contains(k)).ToList()) _residuals.Remove(key);
    }
}
