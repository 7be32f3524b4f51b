namespace Trainer.Grains.Tests.Support;

/// <summary>Polls a condition a test cannot await as an event (another process's state), with a deadline.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>Returns once <paramref name="condition"/> holds; past the deadline, a <see cref="TimeoutException"/> that says <paramref name="failure"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan deadline, Func<string> failure)
    {
        using var timeout = new CancellationTokenSource(deadline);
        using var timer = new PeriodicTimer(Interval);
        while (!await condition())
        {
            try { await timer.WaitForNextTickAsync(timeout.Token); }
            catch (OperationCanceledException) { throw new TimeoutException(failure()); }
        }
    }
}
