namespace Trainer.Core.Random;

/// <summary>
/// A counter-based generator: the n-th draw of a key is a pure function of (key, n), SplitMix64's
/// output for state key + (n + 1)·γ. Dropout uses it so that a row's mask depends on where the row
/// is in the job (seed, epoch, step, row, layer) and on nothing about who computes it or in what order.
/// </summary>
public static class CounterRng
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The key of a purpose and its coordinates; each coordinate is mixed in turn.</summary>
    public static ulong Key(ulong seed, RandomStream stream, long a, long b, long c, long d)
    {
        var h = Rng.Mix(seed ^ (ulong)stream);
        h = Rng.Mix(h ^ (ulong)a);
        h = Rng.Mix(h ^ (ulong)b);
        h = Rng.Mix(h ^ (ulong)c);
        return Rng.Mix(h ^ (ulong)d);
    }

    public static ulong Bits(ulong key, long counter) => Rng.Mix(key + (ulong)(counter + 1) * Gamma);
}
