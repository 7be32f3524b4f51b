using Trainer.Core;
using Trainer.Core.Training;

namespace Trainer.Grains.Admission;

/// <summary>
/// What a silo gives its jobs, and what they hold: the memory jobs may reserve (--memory-limit, else
/// what the machine or the container's limit has available) and how many jobs may have workers here
/// at once (--max-jobs). Workers and parameter servers reserve their memory estimate before they
/// allocate, and release it when their job lets them go; a job that would not fit is refused while
/// the jobs already here go on. One per silo.
/// </summary>
public sealed class SiloAdmission(long? memoryLimit = null, int? maxJobs = null)
{
    private readonly Dictionary<string, Dictionary<string, long>> _jobs = []; // job → holder (grain key) → bytes
    private readonly Func<long> _machine = MachineMemory.AvailableBytes;

    /// <summary>No limits besides the machine's: embedded clusters.</summary>
    public static SiloAdmission Unlimited() => new();

    public long? MemoryLimit => memoryLimit;
    public int? MaxJobs => maxJobs;

    /// <summary>
    /// Counts <paramref name="holder"/> as part of <paramref name="job"/> here; a job that is new to a
    /// silo already running --max-jobs jobs is refused (<see cref="SiloFullException"/>).
    /// </summary>
    public void Join(string job, string holder, string silo)
    {
        lock (_jobs)
        {
            var working = _jobs.Where(j => j.Key != job && j.Value.Keys.Any(h => h != DataHolder(j.Key) && h != ServerHolder(j.Key))).Select(j => j.Key).ToList();
            var isNew = !_jobs.TryGetValue(job, out var holders) || holders.Keys.All(h => h == DataHolder(job) || h == ServerHolder(job));
            if (isNew && maxJobs is { } max && working.Count >= max)
                throw new SiloFullException($"silo {silo} is full: it runs {working.Count} job{(working.Count == 1 ? "" : "s")} ({string.Join(", ", working.Order(StringComparer.Ordinal))}), its --max-jobs {max}");
            if (holders is null) _jobs[job] = holders = [];
            holders.TryAdd(holder, 0);
        }
    }

    /// <summary>The bytes a job may still reserve here: the machine's available memory, within what the limit leaves after every reservation (the job's own data among them).</summary>
    public long Available()
    {
        var machine = _machine();
        if (memoryLimit is not { } limit) return machine;
        lock (_jobs) return Math.Min(machine, limit - Held());
    }

    /// <summary>What has the room that <see cref="Available"/> counts, for a refusal: the machine, or the silo's limit and what is held of it.</summary>
    public string Describe()
    {
        if (memoryLimit is not { } limit) return "this machine has";
        long held;
        lock (_jobs) held = Held();
        return $"the silo's --memory-limit {MemoryEstimate.Format(limit)}, less {MemoryEstimate.Format(held)} held by jobs and their data, leaves";
    }

    /// <summary>Reserves a holder's estimate, or refuses it in one line when the limit has no room for it (two jobs raced for the same room).</summary>
    public void Reserve(string job, string holder, string silo, long bytes)
    {
        lock (_jobs)
        {
            if (memoryLimit is { } limit)
            {
                var held = _jobs.Where(j => j.Key != job).Sum(j => j.Value.Values.Sum()) + (_jobs.TryGetValue(job, out var own) ? own.Where(h => h.Key != holder).Sum(h => h.Value) : 0);
                if (held + bytes > limit)
                    throw new UserInputException($"job {job} needs about {MemoryEstimate.Format(bytes)} more on silo {silo}, whose --memory-limit {MemoryEstimate.Format(limit)} has {MemoryEstimate.Format(Math.Max(0, limit - held))} left; " +
                                                 "use a smaller model, fewer --partitions or more silos");
            }
            if (!_jobs.TryGetValue(job, out var holders)) _jobs[job] = holders = [];
            holders[holder] = bytes;
        }
    }

    /// <summary>The holder of a job's parameter server on its silo: its memory counts here, but a job whose workers run elsewhere takes no place among --max-jobs.</summary>
    public static string ServerHolder(string job) => $"{job}/server";

    /// <summary>The holder of a job's data on a silo: shared by its workers there, it goes with the last of them.</summary>
    public static string DataHolder(string job) => $"{job}/data";

    /// <summary>A holder let go of its job (released, or deactivated); the job, and its data's reservation, leave the silo with its last grain.</summary>
    public void Leave(string job, string holder)
    {
        lock (_jobs)
        {
            if (!_jobs.TryGetValue(job, out var holders)) return;
            holders.Remove(holder);
            if (holders.Count == 0 || holders.Keys.All(h => h == DataHolder(job))) _jobs.Remove(job);
        }
    }

    /// <summary>The jobs here now and the bytes they hold, for tests and logs.</summary>
    public IReadOnlyDictionary<string, long> Jobs
    {
        get { lock (_jobs) return _jobs.ToDictionary(j => j.Key, j => j.Value.Values.Sum()); }
    }

    private long Held() => _jobs.Sum(j => j.Value.Values.Sum());
}

/// <summary>A silo that runs its --max-jobs already: passed over by a job's placement; the job is refused when every silo is.</summary>
[GenerateSerializer, Alias("trainer.silo-full")]
public sealed class SiloFullException(string message) : Exception(message);
