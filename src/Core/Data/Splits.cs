using Trainer.Core.Random;

namespace Trainer.Core.Data;

/// <summary>Seeded hold-out splits: stratified by class for classification, plain for regression.</summary>
public static class Splits
{
    /// <summary>Row indices kept and held out; each class gives round(fraction × its size) rows to the held-out part.</summary>
    public static (int[] Kept, int[] HeldOut) HoldOut(Dataset data, double fraction, ulong seed, long purpose)
    {
        var rng = Rng.For(seed, RandomStream.Split, purpose);
        var groups = data.IsRegression
            ? [Enumerable.Range(0, data.Count).ToArray()]
            : Enumerable.Range(0, data.Count).GroupBy(i => (int)data.Y[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        var kept = new List<int>();
        var heldOut = new List<int>();
        foreach (var group in groups)
        {
            rng.Shuffle(group.AsSpan());
            var take = (int)Math.Round(fraction * group.Length, MidpointRounding.AwayFromZero);
            heldOut.AddRange(group[..take]);
            kept.AddRange(group[take..]);
        }
        kept.Sort();
        heldOut.Sort();
        return (kept.ToArray(), heldOut.ToArray());
    }
}
