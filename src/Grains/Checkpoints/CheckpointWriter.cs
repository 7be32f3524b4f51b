using Orleans.Storage;
using Trainer.Grains.Hosting;

namespace Trainer.Grains.Checkpoints;

/// <summary>
/// Writes a job's checkpoints to a store that may blink (Redis restarted, a disk briefly full):
/// a write that fails is put off and training goes on, since the last written checkpoint is still a
/// valid place to resume from; the job tries again at its next safe point, at most once a
/// <see cref="RetryInterval"/>. Only a store unreachable for longer than the patience ends the job,
/// as <see cref="JobFaultException.StoreLost"/>, with its last checkpoint intact.
/// </summary>
/// <summary>How long a job trains on while its checkpoint store is unreachable (the silo's --store-patience).</summary>
public sealed record CheckpointPatience(TimeSpan Value);

public sealed class CheckpointWriter(string job, Func<Task> write, Func<Task> refreshETag, TimeProvider time, TimeSpan patience)
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private long? _failingSince;
    private long _lastAttempt;
    private Exception? _lastError;

    /// <summary>Checkpoints that could not be written when they were due.</summary>
    public int Deferred { get; private set; }

    /// <summary>Checkpoints put off since the store went out (0 while it answers): the job says so once per outage.</summary>
    public int DeferredInOutage { get; private set; }

    /// <summary>A checkpoint is owed (the last write failed) and it is time to try again.</summary>
    public bool RetryDue => _failingSince is not null && time.GetElapsedTime(_lastAttempt) >= RetryInterval;

    /// <summary>A checkpoint is due: the job's state written now; false when the store is out and the write is put off.</summary>
    public async Task<bool> WriteAsync()
    {
        if (await AttemptAsync()) return true;
        Deferred++;
        DeferredInOutage++;
        return false;
    }

    /// <summary>The checkpoint that was put off, tried again (when <see cref="RetryDue"/>); true once it is written.</summary>
    public Task<bool> RetryAsync() => AttemptAsync();

    private async Task<bool> AttemptAsync()
    {
        _lastAttempt = time.GetTimestamp();
        try
        {
            await WriteOnceAsync();
            (_failingSince, DeferredInOutage) = (null, 0);
            return true;
        }
        catch (Exception e) when (IsOutage(e))
        {
            _lastError = e;
            var since = _failingSince ??= _lastAttempt;
            if (time.GetElapsedTime(since) <= patience) return false;
            var seconds = time.GetElapsedTime(since).TotalSeconds;
            throw new JobFaultException(JobFaultException.StoreLost, FolderFault(e) is { } folder
                ? $"job {job}: {folder.Problem}; training stopped after {seconds:F0} s of retries, its last checkpoint is kept: {folder.ResumeRemedy}, then {ResumeHint.Of(job)} continues it"
                : $"job {job}: the checkpoint store has been unreachable for {seconds:F0} s ({Describe(e)}); training stopped, its last checkpoint is kept; " +
                  $"when the store is back, {ResumeHint.Of(job)} continues it");
        }
    }

    /// <summary>The store's last error while a checkpoint is owed: for a job that must stop (cancelled, finished) with one unwritten.</summary>
    public string? Owing => _failingSince is null ? null : Describe(_lastError!);

    /// <summary>The line a job prints once when a checkpoint is put off: a folder's fault as it is, anything else as the store out.</summary>
    public string PutOffNote => FolderFault(_lastError) is not null
        ? $"checkpoint put off: {Owing}; training goes on, trying again every second"
        : $"checkpoint put off: the store is unreachable ({Owing}); training goes on, trying again every second";

    /// <summary>
    /// A write that failed on the wire may still have reached the store, which then holds a newer
    /// version tag than ours: read the tag again (keeping our state) and write once more.
    /// </summary>
    private async Task WriteOnceAsync()
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e.GetBaseException() is InconsistentStateException || e is InconsistentStateException)
        {
            await refreshETag();
            await write();
        }
    }

    /// <summary>How long a start or a resume waits for a store that is just coming back (the client reconnects within seconds of a restart).</summary>
    public static readonly TimeSpan ReconnectWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs a read or write that a job cannot start without, trying again while the store is out,
    /// up to <see cref="ReconnectWait"/>: a Redis just restarted answers once its client has
    /// reconnected. Past that, the outage's exception.
    /// </summary>
    public static async Task OnceTheStoreAnswers(Func<Task> operation, TimeProvider time)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                await operation();
                return;
            }
            catch (Exception e) when (IsOutage(e) && FolderFault(e) is null && time.GetElapsedTime(started) < ReconnectWait) // a full or read-only disk does not come back by itself
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time);
            }
        }
    }

    /// <summary>The store did not answer (a lost connection, a timeout, an I/O error): not the job's fault, and it may come back.</summary>
    public static bool IsOutage(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException or Orleans.Persistence.Redis.RedisStorageException
                or IOException or TimeoutException or System.Net.Sockets.SocketException)
                return true;
        return false;
    }

    /// <summary>A checkpoint folder's fault the user can fix (full, read-only, gone), wherever Orleans put it in the chain; null for anything else.</summary>
    public static CheckpointFolderException? FolderFault(Exception? e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is CheckpointFolderException folder) return folder;
        return null;
    }

    /// <summary>What went wrong, in a few words: StackExchange.Redis's messages run to a screenful of counters.</summary>
    public static string Describe(Exception e)
    {
        if (FolderFault(e) is { } folder) return folder.Problem;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is StackExchange.Redis.RedisConnectionException redis) return $"Redis: {redis.FailureType}";
            if (inner is StackExchange.Redis.RedisTimeoutException) return "Redis: timeout";
        }
        var message = e.GetBaseException().Message;
        if (message.Contains("RedisConnectionException", StringComparison.Ordinal)) return "Redis: no connection";
        return message.Split('\n', 2)[0].Trim();
    }
}
