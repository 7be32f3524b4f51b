using System.Text.Json;
using Trainer.Core.Models;
using Trainer.Core.Scaling;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Scaling;

public sealed class AutoBatchOptionsTests
{
    [Theory]
    [InlineData(1, 32)]
    [InlineData(8, 32)]
    [InlineData(3, 48)] // the grid is P·2^k: 48, not 32, is the first multiple of 3 there
    [InlineData(64, 64)]
    public void The_default_minimum_is_the_first_multiple_P_times_2_to_the_k_from_32(int partitions, int min) =>
        Assert.Equal(min, AutoBatchOptions.DefaultMin(partitions));

    [Fact]
    public void The_default_maximum_is_capped_by_4096_a_quarter_of_the_rows_and_memory()
    {
        var auto = new AutoBatchOptions();
        Assert.Equal((32, 256), auto.Resolve(rows: 1293, partitions: 8, start: 32, fits: _ => true)); // 1293 / 4 = 323
        Assert.Equal((32, 4096), auto.Resolve(rows: 54_000, partitions: 8, start: 32, fits: _ => true));
        Assert.Equal((32, 512), auto.Resolve(rows: 54_000, partitions: 8, start: 32, fits: b => b <= 512));
        Assert.Equal((48, 3072), auto.Resolve(rows: 54_000, partitions: 3, start: 48, fits: _ => true)); // 3·2^10
        Assert.Equal((32, 32), auto.Resolve(rows: 100, partitions: 8, start: 32, fits: _ => true)); // never below the minimum
        Assert.Equal((64, 100), new AutoBatchOptions { Min = 64, Max = 100 }.Resolve(rows: 1000, partitions: 4, start: 64, fits: _ => false)); // given: taken as given
    }

    [Theory]
    [InlineData(4, 0, 32, "--batch-min 4: must be at least --partitions 8 (every partition needs a row per step)")]
    [InlineData(64, 32, 64, "--batch-max 32: must be at least --batch-min 64")]
    [InlineData(32, 5000, 32, "--batch-max 5000 is larger than the training set (1000 rows)")]
    [InlineData(2000, 0, 2000, "--batch-min 2000 is larger than the training set (1000 rows)")]
    [InlineData(32, 128, 256, "--batch-start 256: must be within --batch-min 32 and --batch-max 128")]
    public void Bad_bounds_are_one_line_errors_naming_the_option(int min, int max, int start, string message)
    {
        var error = Assert.Throws<UserInputException>(() => new AutoBatchOptions { Min = min, Max = max }.Resolve(1000, 8, start, _ => true));
        Assert.Equal(message, error.Message);
    }
}

public sealed class BatchScheduleTests
{
    private static readonly AutoBatchOptions Pinned = new() { Cost = new StepCostFit(20, 0.01) };
    private static BatchScheduleState State() => new() { Min = 32, Max = 1024, Start = 32 };
    private static readonly NoiseScaleState Noisy = new(Trace: 100, Signal: 0.5, Weight: 1); // φ = 200

    [Fact]
    public void The_first_epoch_runs_the_start_batch_at_gain_one()
    {
        var first = BatchSchedule.For(1, Pinned, 8, State(), [], NoiseScaleState.Empty);
        Assert.Equal((1, 32, 1.0, BatchSchedule.Start), (first.Epoch, first.Batch, first.LrGain, first.Source));
    }

    [Fact]
    public void A_decision_uses_the_policy_and_adascales_gain_for_the_chosen_batch()
    {
        var state = State();
        state.Epochs.Add(BatchSchedule.For(1, Pinned, 8, state, [], NoiseScaleState.Empty));
        var second = BatchSchedule.For(2, Pinned, 8, state, [], Noisy);
        var expected = BatchPolicy.Decide(BatchPolicy.Grid(32, 1024, 8), 32, Pinned.Cost!, 200, 32);
        Assert.True(expected.Switched);
        Assert.Equal(expected.Batch, second.Batch);
        Assert.Equal(BatchPolicy.Gain(100, 0.5, 32, expected.Batch), second.LrGain);
        Assert.Equal((BatchSchedule.Decided, 200.0, 20.0, 0.01), (second.Source, second.NoiseScale!.Value, second.CostFixedMs!.Value, second.CostPerSampleMs!.Value));
        Assert.Equal(second, BatchSchedule.For(2, Pinned, 8, state, [], Noisy)); // a pure function of its inputs
    }

    [Fact]
    public void A_measured_cost_is_not_extrapolated_past_twice_the_largest_batch_measured()
    {
        // 20 ms a step of which 0.32 ms compute at batch 32: a fixed cost that would send a pinned fit to the grid's top
        var timed = new EpochReport(1, 0, null, null, 100 * 0.020, 0, 0.1, new EpochStats(1, 0, 3200, 100, 100 * 0.020, 100 * 0.00032, 0, 0, 0, 0.1, Batch: 32));
        var state = State();
        state.Epochs.Add(new BatchEpoch(1, 32, 1, 1, null, BatchSchedule.Start));
        var measured = BatchSchedule.For(2, new AutoBatchOptions(), 8, state, [timed], Noisy);
        Assert.Equal((64, BatchSchedule.Decided), (measured.Batch, measured.Source));
        var pinned = BatchSchedule.For(2, new AutoBatchOptions { Cost = BatchSchedule.MeasuredCost([timed]) }, 8, state, [timed], Noisy);
        Assert.True(pinned.Batch > 64, $"pinned: {pinned.Batch}");
    }

    [Fact]
    public void A_recorded_epoch_is_never_decided_again()
    {
        var state = State();
        state.Epochs.Add(new BatchEpoch(1, 32, 1, 1, null, BatchSchedule.Start));
        state.Epochs.Add(new BatchEpoch(2, 64, 1.5, 0.9, 1000, BatchSchedule.Decided));
        var again = BatchSchedule.For(2, Pinned, 8, state, [], Noisy); // the policy would choose otherwise now
        Assert.Same(state.Epochs[1], again);
    }

    [Fact]
    public void A_replayed_epoch_is_taken_as_it_is_and_none_is_decided_without_noise_or_cost()
    {
        var replay = new AutoBatchOptions { Replay = [new BatchEpoch(1, 32, 1, null, null, BatchSchedule.Replayed), new BatchEpoch(2, 512, 2.25, null, null, BatchSchedule.Replayed)] };
        var state = State();
        state.Epochs.Add(BatchSchedule.For(1, replay, 8, state, [], NoiseScaleState.Empty));
        var second = BatchSchedule.For(2, replay, 8, state, [], NoiseScaleState.Empty);
        Assert.Equal((512, 2.25, BatchSchedule.Replayed), (second.Batch, second.LrGain, second.Source));
        state.Epochs.Add(second);
        var third = BatchSchedule.For(3, new AutoBatchOptions(), 8, state, [], Noisy); // past the replay, no cost fit yet (no timed epochs): kept
        Assert.Equal((512, BatchSchedule.Kept), (third.Batch, third.Source));
        var tooSmall = Assert.Throws<UserInputException>(() => BatchSchedule.For(2, replay, 1024, State(), [], Noisy));
        Assert.Equal("--batch-schedule: epoch 2's batch 512 is smaller than --partitions 1024 (every partition needs a row per step)", tooSmall.Message);
    }

    [Fact]
    public void The_measured_cost_fits_two_batches_or_splits_one_batchs_step()
    {
        EpochReport Epoch(int batch, int steps, double seconds, double compute) =>
            new(1, 0, null, null, seconds, 0, 0.1, new EpochStats(1, 0, batch * steps, steps, seconds, compute, 0, 0, 0, 0.1, Batch: batch));
        var one = BatchSchedule.MeasuredCost([Epoch(32, 100, 1.0, 0.6)])!; // 10 ms a step, 6 of them compute
        Assert.Equal(4, one.FixedMs, 9);
        Assert.Equal(6.0 / 32, one.PerSampleMs, 9);
        var two = BatchSchedule.MeasuredCost([Epoch(32, 100, 100 * (2 + 0.32) / 1000, 0), Epoch(256, 10, 10 * (2 + 2.56) / 1000, 0)])!;
        Assert.Equal(2, two.FixedMs, 6);
        Assert.Equal(0.01, two.PerSampleMs, 6);
        Assert.Null(BatchSchedule.MeasuredCost([]));
        // a slow epoch at the larger batch tilts the line to a negative fixed cost: the split is taken instead
        var tilted = BatchSchedule.MeasuredCost([Epoch(64, 100, 100 * 1.8 / 1000, 100 * 1.2 / 1000), Epoch(128, 50, 50 * 5.3 / 1000, 50 * 3.5 / 1000)])!;
        Assert.Equal((100 * 0.6 + 50 * 1.8) / 150, tilted.FixedMs, 9);
        Assert.Equal((120 + 175) / (64.0 * 100 + 128 * 50), tilted.PerSampleMs, 9);
    }

    [Fact]
    public void A_schedule_round_trips_through_a_report_and_through_the_checkpoints_json_bit_for_bit()
    {
        var state = State();
        state.Epochs.Add(new BatchEpoch(1, 32, 1, 1, 1234.5, BatchSchedule.Start));
        state.Epochs.Add(new BatchEpoch(2, 256, Math.PI / 1.1, 0.123456789012345, 98765.4321, BatchSchedule.Decided, 200.1, 100.3, 0.5000001, 20, 0.01));

        // the report's shape: epochs[] with camelCase batch and lrGain, as report.json writes them
        var report = Path.GetTempFileName();
        try
        {
            File.WriteAllText(report, JsonSerializer.Serialize(new { epochs = state.Epochs }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            var read = BatchSchedule.Read(report);
            Assert.Equal(state.Epochs.Select(e => (e.Epoch, e.Batch, e.LrGain)), read.Select(e => (e.Epoch, e.Batch, e.LrGain)));
            Assert.All(read, e => Assert.Equal(BatchSchedule.Replayed, e.Source));
        }
        finally { File.Delete(report); }

        // the checkpoint's codec for Core types is System.Text.Json (Grains/Hosting/TrainerSerialization.cs)
        var json = JsonSerializer.Serialize(state, new JsonSerializerOptions { IncludeFields = true });
        var back = JsonSerializer.Deserialize<BatchScheduleState>(json, new JsonSerializerOptions { IncludeFields = true })!;
        Assert.Equal((state.Min, state.Max, state.Start), (back.Min, back.Max, back.Start));
        Assert.Equal(state.Epochs, back.Epochs);
    }

    [Theory]
    [InlineData("{\"epochs\": [{\"epoch\": 1, \"batch\": 64}]}", "epochs entry 1 needs epoch, batch (at least 1) and lrGain (above 0); a report of a fixed-batch run has no lrGain")]
    [InlineData("{\"epochs\": []}", "its epochs array is empty")]
    [InlineData("[1, 2]", "expected a report.json or an object with an \"epochs\" array")]
    public void A_bad_schedule_file_is_a_one_line_error(string text, string message)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, text);
            Assert.Equal($"--batch-schedule {path}: {message}", Assert.Throws<UserInputException>(() => BatchSchedule.Read(path)).Message);
        }
        finally { File.Delete(path); }
    }
}

public sealed class AutoBatchPlanTests
{
    [Fact]
    public void Another_batch_walks_the_same_partitions_in_other_micro_batches()
    {
        var plan = new PartitionPlan(1000, 8, 32, 42);
        var bigger = plan.WithBatch(256);
        Assert.Equal(Enumerable.Repeat(32, 8), bigger.MicroBatch);
        Assert.Equal(4, bigger.StepsPerEpoch); // 125 rows a partition in micro-batches of 32
        for (var p = 0; p < 8; p++) Assert.Equal(plan.EpochOrder(p, 3), bigger.EpochOrder(p, 3));
        Assert.Equal(new PartitionPlan(1000, 8, 256, 42).StepsPerEpoch, bigger.StepsPerEpoch);
        Assert.Same(plan, plan.WithBatch(32));
        Assert.Throws<UserInputException>(() => plan.WithBatch(4));
    }

    [Fact]
    public void The_epochs_clock_gives_a_fixed_batchs_rates_at_gain_one_and_multiplies_by_the_gain()
    {
        var network = new Network(new ModelSpec("mlp", 4, 3, [5], "relu", 0, 1));
        var options = new TrainOptions { Epochs = 4, Schedule = "cosine", WarmupEpochs = 1.5, LearningRate = 0.1 };
        var plain = new Update(network, options, 2, stepsPerEpoch: 10);
        var clocked = new Update(network, options, 2, stepsPerEpoch: 10);
        for (var epoch = 1; epoch <= 4; epoch++)
        {
            clocked.BeginEpoch(epoch, 10, 0, 1);
            for (var s = 0; s < 10; s++)
            {
                var step = (epoch - 1) * 10L + s;
                Assert.Equal(plain.RateAt(step), clocked.RateAt(step)); // bit for bit
                clocked.State.Step = step + 1;
            }
        }
        var gained = new Update(network, options, 2, stepsPerEpoch: 10);
        gained.State.Step = 20;
        gained.BeginEpoch(3, 40, 0, 2.5); // epoch 3 at a quarter of the batch: 40 steps, the schedule at 2/4 of training
        Assert.Equal(new LearningRateScheduleProbe(options, 40).At(80) * 2.5, gained.RateAt(20));
    }

    private sealed class LearningRateScheduleProbe(TrainOptions options, int steps)
    {
        public double At(long step) => new Trainer.Core.Optim.LearningRateSchedule(options.Schedule, options.ScaledLearningRate, options.Epochs, steps, options.WarmupEpochs).At(step);
    }
}

public sealed class AutoBatchTelemetryTests
{
    /// <summary>The reference trainer under --batch auto records the epoch's batch, gain, efficiency and goodput as gauges tagged with its job.</summary>
    [Fact]
    public void The_schedule_is_recorded_as_gauges_of_the_job()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Name, double Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrainerTelemetry.Name && instrument.Name.StartsWith("trainer.batch.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
                if (tag is { Key: TrainerTelemetry.JobLabel, Value: "local" }) seen.Add((instrument.Name, value));
        }
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        var options = new TrainOptions
        {
            Hidden = [16], Epochs = 3, Batch = 32, Patience = 0, Threads = 1,
            AutoBatch = new AutoBatchOptions { Min = 32, Cost = new StepCostFit(20, 0.01) },
        };
        var data = Trainer.Core.Data.DataLoader.Prepare(new Trainer.Core.Data.DataSpec("digits"), ModelSpec.LabelRuleFor(options.Model, options.Task));
        var result = new ReferenceTrainer(Trainer.Core.Kernels.KernelChoice.Select("managed")).Train(data, options);
        listener.RecordObservableInstruments();

        var batches = seen.Where(s => s.Name == "trainer.batch.size").Select(s => (int)s.Value).ToHashSet();
        Assert.Equal(result.Epochs.Select(e => e.Stats.Batch).ToHashSet(), batches);
        Assert.True(batches.Count > 1);
        foreach (var name in new[] { "trainer.batch.lr_gain", "trainer.batch.efficiency", "trainer.batch.goodput" })
            Assert.Contains(seen, s => s.Name == name && s.Value > 0);
    }
}
