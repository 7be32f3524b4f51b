using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Trainer.Grains.Placement;

/// <summary>
/// Spreads a job's grains over the silos deterministically: a grain keyed "job/i" goes to silo
/// i mod S (silos in address order), the parameter server ("job") with worker 0. Random placement
/// can pile every worker onto one silo; this keeps the cores of every silo busy.
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.spread-placement")]
public sealed class SpreadPlacementStrategy : PlacementStrategy
{
    public static SpreadPlacementStrategy Instance { get; } = new();
}

/// <summary>Places a grain class with <see cref="SpreadPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SpreadPlacementAttribute() : PlacementAttribute(SpreadPlacementStrategy.Instance);

/// <summary>Picks silo i mod S for the grain keyed "job/i" (or "job/i.g" for a later generation), silo 0 for the key "job".</summary>
public sealed class SpreadPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        return Task.FromResult(silos[IndexOf(target.GrainIdentity.Key.ToString()) % silos.Length]);
    }

    internal static int IndexOf(string key)
    {
        var slash = key.LastIndexOf('/');
        if (slash < 0) return 0;
        var digits = key.AsSpan(slash + 1);
        var dot = digits.IndexOf('.');
        return int.TryParse(dot >= 0 ? digits[..dot] : digits, out var index) && index >= 0 ? index : 0;
    }
}
