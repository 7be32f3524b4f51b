using Trainer.Core.Scaling;

namespace Trainer.Core.Tests.Scaling;

public sealed class HostsCostModelTests
{
    private const int Parameters = 203_530; // MLP 784-256-10
    private static readonly HostsCostModel Known = new(ComputeFixedMs: 0.4, ComputePerRowMs: 0.03, OverheadMs: 1.2, CpuMsPerByte: 8000 / 5e9,
        WireFactor: 0.8, WaitPerComputeMs: 0.2, UpdatePerParameterMs: 3e-6, Parameters);

    private static readonly NetworkLink[] Links = [NetworkLink.Unlimited, new(10e9), new(1e9)];

    /// <summary>A harness run as the model itself would time it, with the bytes per step the report counts (2·N·M).</summary>
    private static HostRun Measured(HostsCostModel m, int hosts, NetworkLink link, int rows) =>
        new(hosts, link, rows, OneHostSamplesPerSecond: 1000.0 * rows / m.ComputeMs(rows), m.SamplesPerSecond(hosts, rows, link),
            m.ComputeMs(rows), m.TransferMs(hosts, rows, link), m.UpdateMs, BytesPerStep: (long)(2 * hosts * m.ModelBytes));

    [Fact]
    public void Fitting_runs_timed_by_a_known_model_at_two_host_counts_recovers_every_constant()
    {
        var runs = (from hosts in new[] { 2, 4 } from link in Links from rows in new[] { 128, 1024 } select Measured(Known, hosts, link, rows)).ToArray();
        var fitted = HostsCostModel.Fit(runs);
        Assert.Equal(Parameters, fitted.Parameters);
        Assert.Equal(Known.ComputeFixedMs, fitted.ComputeFixedMs, 9);
        Assert.Equal(Known.ComputePerRowMs, fitted.ComputePerRowMs, 9);
        Assert.Equal(Known.OverheadMs, fitted.OverheadMs, 6);
        Assert.Equal(Known.CpuMsPerByte, fitted.CpuMsPerByte, 1e-6 * Known.CpuMsPerByte);
        Assert.Equal(Known.WireFactor, fitted.WireFactor, 6);
        Assert.Equal(Known.WaitPerComputeMs, fitted.WaitPerComputeMs, 6);
        Assert.Equal(Known.UpdatePerParameterMs, fitted.UpdatePerParameterMs, 12);
    }

    [Fact]
    public void With_one_host_count_the_fixed_part_is_taken_per_byte_and_two_hosts_are_still_predicted_exactly()
    {
        var runs = (from link in Links from rows in new[] { 128, 1024 } select Measured(Known, 2, link, rows)).ToArray();
        var fitted = HostsCostModel.Fit(runs);
        Assert.Equal(0, fitted.OverheadMs);
        Assert.Equal(Known.CpuMsPerByte + Known.OverheadMs / Known.ServerLinkBytes(2), fitted.CpuMsPerByte, 1e-6 * fitted.CpuMsPerByte);
        foreach (var run in runs)
            Assert.Equal(run.SamplesPerSecond, fitted.SamplesPerSecond(2, run.RowsPerHost, run.Link), 1e-6 * run.SamplesPerSecond);
        // the cautious reading: beyond the runs' host count it promises no more than the truth
        Assert.True(fitted.SamplesPerSecond(16, 1024, Links[1]) < Known.SamplesPerSecond(16, 1024, Links[1]));
    }

    [Fact]
    public void The_projection_at_N_hosts_follows_the_formula()
    {
        var link = new NetworkLink(10e9, RoundTripMs: 0.1);
        foreach (var hosts in new[] { 2, 8, 64 })
        {
            // the server's link: the other N−1 workers' M each way, in each of the two rounds
            var bytes = 2.0 * (hosts - 1) * 4 * Parameters;
            var compute = 0.4 + 0.03 * 512;
            var transfer = 1.2 + 2 * 0.1 + bytes * (8000 / 5e9 + 0.8 * 8 / 10e9 * 1000) + 0.2 * compute;
            var step = compute + transfer + 3e-6 * Parameters;
            Assert.Equal(step, Known.StepMs(hosts, 512, link), 9);
            Assert.Equal(1000.0 * hosts * 512 / step, Known.SamplesPerSecond(hosts, 512, link), 6);
        }
        // one host moves nothing over a link
        Assert.Equal(0, Known.TransferMs(1, 512, link));
        // the CPU and the wire in series: a 10 Gbit/s link behind a 5 Gbit/s CPU moves 1/(1/5 + 0.8/10) Gbit/s
        Assert.Equal(1e9 / (1 / 5.0 + 0.8 / 10), Known.EffectiveBitsPerSecond(new NetworkLink(10e9)), 1);
    }

    [Fact]
    public void Runs_at_one_row_count_cannot_fit_the_compute()
    {
        var runs = Links.Select(l => Measured(Known, 2, l, 256)).ToArray();
        var error = Assert.Throws<UserInputException>(() => HostsCostModel.Fit(runs));
        Assert.Contains("two or more rows per host", error.Message);
    }

    [Fact]
    public void Runs_on_hosts_of_different_sizes_are_not_fitted_together()
    {
        var runs = new[] { Measured(Known, 2, Links[0], 128), Measured(Known, 2, Links[0], 1024) with { CpusPerHost = 0.5 }, Measured(Known, 2, Links[1], 1024) };
        var error = Assert.Throws<UserInputException>(() => HostsCostModel.Fit(runs));
        Assert.Contains("mixes hosts of 1 and 0.5 vCPUs", error.Message);
    }

    [Fact]
    public void The_busiest_link_is_the_server_hosts_and_shards_spread_it()
    {
        const double m = 1000;
        Assert.Equal(0, NetworkLink.BusiestLinkBytes(1, 1, m));
        Assert.Equal(m, NetworkLink.BusiestLinkBytes(2, 1, m));
        Assert.Equal(7 * m, NetworkLink.BusiestLinkBytes(8, 1, m));
        // 8 shards beside 8 workers: a shard's link carries 7 workers' M/8 and its worker's 7M/8 to the others
        Assert.Equal(14 * m / 8, NetworkLink.BusiestLinkBytes(8, 8, m));
        Assert.Null(NetworkLink.BusiestLinkBytes(2, 4, m));
    }
}
