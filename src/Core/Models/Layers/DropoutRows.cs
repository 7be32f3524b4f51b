using Trainer.Core.Random;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// Where a training batch is in the job: (seed, epoch, step) and each row's index in the training
/// data. Inverted dropout (d2l 4.6) draws a row's mask from these alone, through
/// <see cref="CounterRng"/>, so the mask does not depend on the partition, worker or silo that computes
/// the row: sync training stays bit-identical to the reference for any cluster, and after a recovery.
/// The default value means no dropout (evaluation, prediction).
/// </summary>
public readonly ref struct DropoutRows(ulong seed, int epoch, int step, ReadOnlySpan<int> rows)
{
    public ulong Seed { get; } = seed;
    public int Epoch { get; } = epoch;
    public int Step { get; } = step;
    public ReadOnlySpan<int> Rows { get; } = rows;
    public bool Active => !Rows.IsEmpty;

    /// <summary>Row r's mask for layer <paramref name="layer"/>: 0 with probability p, else 1/(1 − p).</summary>
    public void Fill(int r, int layer, double p, Span<float> mask)
    {
        var key = CounterRng.Key(Seed, RandomStream.Dropout, Epoch, Step, Rows[r], layer);
        var threshold = (ulong)Math.Round(p * (1 << 24)); // 24 bits: a float's uniform resolution
        var kept = (float)(1 / (1 - p));
        for (var j = 0; j < mask.Length; j++) mask[j] = CounterRng.Bits(key, j) >> 40 >= threshold ? kept : 0f;
    }
}
