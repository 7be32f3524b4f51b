using Trainer.Core.Scaling;

namespace Trainer.Core.Tests.Scaling;

public sealed class BatchPolicyTests
{
    // 2 ms per step plus 10 µs per sample: throughput rises with the batch, towards 100,000 samples/s
    private static readonly StepCostFit Cost = new(FixedMs: 2, PerSampleMs: 0.01);

    [Fact]
    public void The_grid_holds_the_powers_of_two_in_range_that_the_partitions_divide()
    {
        Assert.Equal([64, 128, 256, 512, 1024], BatchPolicy.Grid(64, 1024, 8));
        Assert.Equal([10, 16, 32, 64, 100], BatchPolicy.Grid(10, 100, 2)); // the ends join the powers of two when the partitions divide them
        Assert.Equal([8, 16], BatchPolicy.Grid(3, 16, 8));
        Assert.Equal([48, 96, 192, 384], BatchPolicy.Grid(48, 500, 3)); // P = 3: 3·2^k, every batch a multiple of the partitions (500 is not)
        Assert.All(BatchPolicy.Grid(32, 4096, 3), m => Assert.Equal(0, m % 3));
        Assert.Throws<ArgumentException>(() => BatchPolicy.Grid(64, 32, 8));
    }

    [Fact]
    public void Efficiency_is_one_at_the_starting_batch_and_falls_past_the_noise_scale()
    {
        Assert.Equal(1, BatchPolicy.Efficiency(300, 64, 64));
        Assert.Equal((300.0 + 64) / (300 + 1024), BatchPolicy.Efficiency(300, 64, 1024), 12);
        Assert.Equal(1, BatchPolicy.Efficiency(null, 64, 4096)); // no estimate yet: no preference
        Assert.Equal(1, BatchPolicy.Efficiency(double.NaN, 64, 4096));
        Assert.Equal(64.0 / 128, BatchPolicy.Efficiency(0, 64, 128)); // φ = 0 divides by M, never by zero
    }

    [Fact]
    public void The_gain_is_the_scale_in_pure_noise_and_one_in_pure_signal()
    {
        Assert.Equal(16, BatchPolicy.Gain(trace: 1, signal: 0, startBatch: 64, batch: 1024), 12);
        Assert.Equal(1, BatchPolicy.Gain(trace: 0, signal: 1, startBatch: 64, batch: 1024), 12);
        var mixed = BatchPolicy.Gain(trace: 64, signal: 1, startBatch: 64, batch: 256); // σ² = 1 = |∇F|²: r = 2/(1/4 + 1)
        Assert.Equal(2 / 1.25, mixed, 12);
        Assert.Equal(1, BatchPolicy.Gain(0, 0, 64, 256)); // no statistics: no division by zero
        Assert.Equal(1, BatchPolicy.Gain(double.NaN, 1, 64, 256));
    }

    [Fact]
    public void It_grows_the_batch_when_the_noise_scale_is_large()
    {
        var decision = BatchPolicy.Decide(BatchPolicy.Grid(64, 4096, 8), current: 64, Cost, noiseScale: 5000, startBatch: 64);
        Assert.True(decision.Switched);
        Assert.True(decision.Batch > 64);
        Assert.Equal(decision.Predicted.Efficiency * decision.Predicted.SamplesPerSecond, decision.Predicted.Goodput, 9);
    }

    [Fact]
    public void It_keeps_a_small_batch_when_the_noise_scale_is_small()
    {
        var decision = BatchPolicy.Decide(BatchPolicy.Grid(64, 4096, 8), current: 64, Cost, noiseScale: 1, startBatch: 64);
        Assert.False(decision.Switched);
        Assert.Equal(64, decision.Batch);
    }

    [Theory]
    [InlineData(1536, false)] // goodput of 64 over 128: (φ + 128)/(φ + 64) = 1.040, under the margin
    [InlineData(1000, true)]  // 1.060: over it
    public void It_switches_only_when_the_best_is_at_least_five_percent_better(double noiseScale, bool switches)
    {
        var flat = new StepCostFit(0, 0.01); // no fixed cost: throughput flat, goodput follows efficiency alone
        var decision = BatchPolicy.Decide([64, 128], current: 128, flat, noiseScale, startBatch: 64);
        Assert.Equal(switches, decision.Switched);
        Assert.Equal(switches ? 64 : 128, decision.Batch);
    }

    [Fact]
    public void The_same_inputs_give_the_same_decision()
    {
        var grid = BatchPolicy.Grid(64, 4096, 8);
        Assert.Equal(BatchPolicy.Decide(grid, 64, Cost, 700, 64), BatchPolicy.Decide(grid, 64, Cost, 700, 64));
    }
}

public sealed class StepCostFitTests
{
    [Fact]
    public void Fitting_exact_times_recovers_the_fixed_and_per_sample_costs()
    {
        var fit = StepCostFit.Fit([(64, 2 + 0.64), (256, 2 + 2.56), (1024, 2 + 10.24)])!;
        Assert.Equal(2, fit.FixedMs, 9);
        Assert.Equal(0.01, fit.PerSampleMs, 9);
    }

    [Fact]
    public void One_batch_size_gives_a_flat_throughput_and_no_samples_give_none()
    {
        var fit = StepCostFit.Fit([(64, 6.4), (64, 6.4)])!;
        Assert.Equal(fit.SamplesPerSecond(64), fit.SamplesPerSecond(4096), 6);
        Assert.Null(StepCostFit.Fit([]));
        Assert.Null(StepCostFit.Fit([(64, double.NaN), (0, 1)]));
    }

    [Fact]
    public void Noisy_times_with_a_negative_slope_are_read_as_a_fixed_cost()
    {
        var fit = StepCostFit.Fit([(64, 5), (256, 4)])!;
        Assert.Equal(0, fit.PerSampleMs);
        Assert.True(fit.StepMs(0) > 0);
    }
}
