namespace Trainer.Core.Random;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Our own generator, not System.Random, so that a seed
/// means the same stream on every platform and .NET version: the determinism contract rests on it.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    public Rng(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix(ref sm); _s1 = SplitMix(ref sm); _s2 = SplitMix(ref sm); _s3 = SplitMix(ref sm);
    }

    /// <summary>An independent stream for a purpose and coordinates, e.g. For(seed, RandomStream.Shuffle, partition, epoch).</summary>
    public static Rng For(ulong seed, RandomStream stream, long a = 0, long b = 0)
    {
        var h = seed;
        h = Mix(h ^ (ulong)stream);
        h = Mix(h ^ (ulong)a);
        h = Mix(h ^ (ulong)b);
        return new Rng(h);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), unbiased (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        var range = (ulong)n;
        var m = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0UL - range) % range;
            while (low < threshold) m = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)m;
    }

    /// <summary>Standard normal by the Box–Muller transform.</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is { } spare) { _spareGaussian = null; return spare; }
        double u;
        do u = NextDouble(); while (u <= double.Epsilon);
        var v = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u));
        _spareGaussian = r * Math.Sin(2 * Math.PI * v);
        return r * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>What a random stream is for; keeps streams for different purposes independent.</summary>
public enum RandomStream : ulong
{
    Initialisation = 1,
    Split = 2,
    PartitionAssignment = 3,
    Shuffle = 4,
    Dropout = 5,
}
