namespace Trainer.Grains.Hosting;

/// <summary>At most <see cref="DefaultLimit"/> lines per <see cref="Window"/>; the rest are counted and reported once the window is over.</summary>
public sealed class LogBudget(TimeProvider time, int limit = LogBudget.DefaultLimit)
{
    public const int DefaultLimit = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    public enum Verdict { Log, LogLast, Suppressed }

    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _logged, _suppressed;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Whether this event may be logged; <paramref name="unlogged"/>: the events of the window before that were not.</summary>
    public Verdict Take(out int unlogged)
    {
        lock (_lock)
        {
            unlogged = 0;
            var now = time.GetUtcNow();
            if (now - _windowStart >= Window)
            {
                (unlogged, _windowStart, _logged, _suppressed) = (_suppressed, now, 0, 0);
            }
            if (_logged < limit)
            {
                _logged++;
                return _logged == limit ? Verdict.LogLast : Verdict.Log;
            }
            _suppressed++;
            return Verdict.Suppressed;
        }
    }
}
