namespace Trainer.Grains.Tests;

/// <summary>The silo's budget for lines about failed TLS handshakes (<see cref="Hosting.LogBudget"/>).</summary>
public sealed class LogBudgetTests
{
    /// <summary>The budget: ten lines a window, then silence, and the next window first says how many it did not log.</summary>
    [Fact]
    public void The_log_budget_allows_ten_lines_a_minute_and_counts_the_rest()
    {
        var clock = new ManualClock();
        var budget = new Hosting.LogBudget(clock);
        var verdicts = Enumerable.Range(0, 13).Select(_ => budget.Take(out var unlogged) is var v && unlogged == 0 ? v : throw new InvalidOperationException()).ToArray();
        Assert.Equal(Enumerable.Repeat(Hosting.LogBudget.Verdict.Log, 9), verdicts[..9]);
        Assert.Equal(Hosting.LogBudget.Verdict.LogLast, verdicts[9]);
        Assert.Equal(Enumerable.Repeat(Hosting.LogBudget.Verdict.Suppressed, 3), verdicts[10..]);
        clock.Advance(Hosting.LogBudget.Window);
        Assert.Equal(Hosting.LogBudget.Verdict.Log, budget.Take(out var missed));
        Assert.Equal(3, missed);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
