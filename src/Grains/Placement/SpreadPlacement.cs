using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Trainer.Grains.Placement;

/// <summary>
/// Spreads a job's grains over the silos deterministically: a grain keyed "job/i" goes to silo
/// i mod S (silos in address order), the parameter server ("job") with worker 0. A key may name its
/// silo ("job/i.g@127.0.0.1:11111@123"): then it goes there while that silo is in the cluster, which
/// is how a job's worker pool puts workers on the silos it chose (a silo that joined, say).
/// Random placement can pile every worker onto one silo; this keeps the cores of every silo busy.
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.spread-placement")]
public sealed class SpreadPlacementStrategy : PlacementStrategy
{
    public static SpreadPlacementStrategy Instance { get; } = new();
}

/// <summary>Places a grain class with <see cref="SpreadPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SpreadPlacementAttribute() : PlacementAttribute(SpreadPlacementStrategy.Instance);

/// <summary>Picks the silo a key names, else silo i mod S for the key "job/i" (or "job/i.g"), silo 0 for the key "job".</summary>
public sealed class SpreadPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        var key = target.GrainIdentity.Key.ToString()!;
        if (NamedSilo(key) is { } named && silos.FirstOrDefault(s => s.Equals(named)) is { } there) return Task.FromResult(there);
        return Task.FromResult(silos[IndexOf(key) % silos.Length]);
    }

    /// <summary>A key for a grain on a chosen silo: the key, "@", the silo's parsable address.</summary>
    public static string OnSilo(string key, SiloAddress silo) => $"{key}@{silo.ToParsableString()}";

    internal static SiloAddress? NamedSilo(string key)
    {
        var at = key.IndexOf('@');
        if (at < 0) return null;
        try { return SiloAddress.FromParsableString(key[(at + 1)..]); }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException) { return null; }
    }

    internal static int IndexOf(string key)
    {
        var at = key.IndexOf('@');
        if (at >= 0) key = key[..at];
        var slash = key.LastIndexOf('/');
        if (slash < 0) return 0;
        var digits = key.AsSpan(slash + 1);
        var dot = digits.IndexOf('.');
        return int.TryParse(dot >= 0 ? digits[..dot] : digits, out var index) && index >= 0 ? index : 0;
    }
}
