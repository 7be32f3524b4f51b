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

    /// <summary>Each port has its own budget: a scanner that used up the gateway port's does not hide a failing handshake on the silo port.</summary>
    [Fact]
    public void A_flood_on_the_gateway_port_leaves_the_silo_ports_lines_logged()
    {
        var logger = new ListLogger();
        var log = new Hosting.TlsHandshakeLog(logger, new ManualClock());
        for (var i = 0; i < 25; i++) log.Failed(Hosting.TlsHandshakeLog.Endpoint.Gateway, $"10.0.0.9:{40000 + i}", "it sent no certificate");
        log.Failed(Hosting.TlsHandshakeLog.Endpoint.Silo, "10.0.0.2:11111", "its certificate is not signed by the cluster's CA");
        Assert.Equal(10, logger.Lines.Count(l => l.Contains("on the gateway port failed")));
        Assert.Contains("TLS handshake with 10.0.0.2:11111 on the silo port failed: its certificate is not signed by the cluster's CA", logger.Lines);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<Hosting.TlsHandshakeLog>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
