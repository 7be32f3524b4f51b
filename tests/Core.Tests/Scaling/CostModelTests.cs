using Trainer.Core.Scaling;

namespace Trainer.Core.Tests.Scaling;

public sealed class CostModelTests
{
    private static readonly CostModel Known = new(ComputeFixedMs: 0.4, ComputePerSampleMs: 0.02, LatencyMs: 0.8, BytesPerMs: 1.5e6, UpdatePerParameterMs: 2e-6, Parameters: 200_000);

    /// <summary>Steps measured as the model itself would time them, with the bytes a single server or S shards carry.</summary>
    private static StepSample Measured(int batch, int workers, int shards) =>
        new(batch, workers, shards, BytesPerStep: (long)(2 * workers * Known.ModelBytes), Known.ComputeMs(batch, workers), Known.TransferMs(workers, shards), Known.UpdateMs(shards), workers);

    [Fact]
    public void Fitting_steps_timed_by_a_known_model_recovers_its_constants()
    {
        var samples = new[] { Measured(256, 1, 1), Measured(256, 2, 1), Measured(1024, 2, 1), Measured(1024, 4, 1), Measured(1024, 8, 1) };
        var fitted = CostModel.Fit(samples, Known.Parameters);
        Assert.Equal(Known.ComputeFixedMs, fitted.ComputeFixedMs, 9);
        Assert.Equal(Known.ComputePerSampleMs, fitted.ComputePerSampleMs, 9);
        Assert.Equal(Known.UpdatePerParameterMs, fitted.UpdatePerParameterMs, 12);
        // the one-worker step's link carries 2M either way, so latency and bandwidth come from the others
        Assert.Equal(Known.LatencyMs, fitted.LatencyMs, 6);
        Assert.Equal(Known.BytesPerMs, fitted.BytesPerMs, 1e-3 * Known.BytesPerMs);
    }

    [Fact]
    public void A_single_server_saturates_where_its_traffic_outgrows_compute_and_shards_move_that_point()
    {
        int[] workers = [1, 2, 4, 8, 16, 32, 64, 128];
        var single = Known.Saturation(8192, 1, workers);
        var sharded = Known.Saturation(8192, 8, workers);
        Assert.InRange(single, 2, 64);
        Assert.True(sharded > single, $"8 shards saturate at {sharded} workers, one server at {single}");
        // at the saturation point the server's transfer is comparable with the compute it hides behind
        Assert.True(Known.TransferMs(single * 2, 1) > 0.25 * Known.ComputeMs(8192, single * 2));
    }

    [Fact]
    public void Runs_without_measured_communication_cannot_fit_the_transfer()
    {
        var local = new[] { new StepSample(256, 1, 1, 0, 5, 0, 1, 1), new StepSample(1024, 1, 1, 0, 18, 0, 1, 1) };
        var error = Assert.Throws<UserInputException>(() => CostModel.Fit(local, 1000));
        Assert.Contains("communication is not measured with --cluster local", error.Message);
    }

    [Fact]
    public void Over_a_network_the_wire_and_the_round_trips_add_to_what_loopback_measured()
    {
        var link = new NetworkLink(10e9, RoundTripMs: 0.1);
        foreach (var workers in new[] { 2, 8, 64 })
        {
            // one server beside a worker: its link carries the other N−1 workers' M each way, in each of the two rounds
            var wire = 2 * (workers - 1) * Known.ModelBytes / (10e9 / 8 / 1000);
            Assert.Equal(Known.TransferMs(workers, 1) + 2 * 0.1 + wire, Known.TransferMs(workers, 1, link), 9);
        }
        Assert.Equal(Known.TransferMs(1, 1), Known.TransferMs(1, 1, new NetworkLink(1e9)), 12); // one worker, one host: nothing on a link
        Assert.Equal(Known.TransferMs(8, 2), Known.TransferMs(8, 2, NetworkLink.Unlimited), 12);
        Assert.True(Known.SamplesPerSecond(4096, 16, 1, new NetworkLink(1e9)) < Known.SamplesPerSecond(4096, 16, 1, new NetworkLink(10e9)));
    }
}
