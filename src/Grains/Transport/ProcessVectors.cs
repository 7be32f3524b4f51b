using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Trainer.Grains.Transport;

/// <summary>
/// Vectors between silos of one process (an embedded cluster) without a copy. Orleans serializes every
/// call between two silos, even in one process: 0.8 MB of weights became three copies and a new array
/// each way. A <see cref="FloatVector"/> marked <see cref="FloatVector.InProcess"/> is written as a
/// handle to its array in this table instead, and the receiving silo takes the array itself. Only a
/// sender that knows its receiver is in this process (<see cref="IsHere"/>) and will not change the
/// array while the receiver uses it marks a vector so: a sync step's weights and block sums.
/// </summary>
public static class ProcessVectors
{
    /// <summary>Which process wrote a handle: a handle read anywhere else is an error, never data.</summary>
    public static long ProcessToken { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    private static readonly ConcurrentDictionary<long, (float[] Values, long Ticks)> Held = new();
    private static readonly ConcurrentDictionary<SiloAddress, byte> Silos = new();
    private static readonly ConditionalWeakTable<float[], object> Marked = [];
    private static long _next;
    private static readonly TimeSpan Unclaimed = TimeSpan.FromMinutes(2);

    /// <summary>A silo of this process started (or stopped): vectors to it may go by handle.</summary>
    public static void SiloStarted(SiloAddress silo) => Silos[silo] = 0;
    public static void SiloStopped(SiloAddress silo) => Silos.TryRemove(silo, out _);

    /// <summary>Whether a silo runs in this process.</summary>
    public static bool IsHere(SiloAddress? silo) => silo is not null && Silos.ContainsKey(silo);

    /// <summary>Marks an array whose serialized vectors go by handle (a worker's block sums, whose only reader is its server in this process).</summary>
    public static void MarkInProcess(float[] values) => Marked.AddOrUpdate(values, Marked);

    public static bool IsMarked(float[] values) => Marked.TryGetValue(values, out _);

    /// <summary>Holds an array for the receiving silo; returns its handle.</summary>
    internal static long Hold(float[] values)
    {
        var id = Interlocked.Increment(ref _next);
        var now = Stopwatch.GetTimestamp();
        Held[id] = (values, now);
        if (id % 256 == 0) // a message that was never delivered leaves its array: let such go after a while
            foreach (var (old, held) in Held)
                if (Stopwatch.GetElapsedTime(held.Ticks, now) > Unclaimed) Held.TryRemove(old, out _);
        return id;
    }

    /// <summary>The array of a handle written in this process.</summary>
    internal static float[] Take(long token, long id)
    {
        if (token != ProcessToken) throw new InvalidDataException("a float vector's handle from another process: its sender took the receiver for one of its own silos");
        return Held.TryRemove(id, out var held) ? held.Values : throw new InvalidDataException($"float vector handle {id} is not held (read twice, or older than {Unclaimed.TotalMinutes:F0} minutes)");
    }
}

/// <summary>Tells <see cref="ProcessVectors"/> which silos run in this process, for as long as they run.</summary>
internal sealed class InProcessSilo(ILocalSiloDetails silo) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(InProcessSilo), ServiceLifecycleStage.RuntimeInitialize,
        _ => { ProcessVectors.SiloStarted(silo.SiloAddress); return Task.CompletedTask; },
        _ => { ProcessVectors.SiloStopped(silo.SiloAddress); return Task.CompletedTask; });
}
