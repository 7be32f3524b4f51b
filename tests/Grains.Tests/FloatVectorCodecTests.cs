using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Tests;

public sealed class FloatVectorCodecTests
{
    private static Serializer Serializer() =>
        new ServiceCollection().AddSerializer(s => s.AddTrainerSerialization()).BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void A_vector_travels_as_one_raw_block_of_four_bytes_per_float()
    {
        var values = Enumerable.Range(0, 203_530).Select(i => MathF.Sin(i) * 1e3f).Append(float.NaN).Append(-0f).ToArray();
        var serializer = Serializer();
        var bytes = serializer.SerializeToArray(new FloatVector(values));
        Assert.InRange(bytes.Length, values.Length * 4, values.Length * 4 + 16); // per element it would be about 5–9 bytes
        Assert.Equal(values, serializer.Deserialize<FloatVector>(bytes)!.Values);
    }

    /// <summary>Between silos of one process a marked vector is a handle: the receiver gets the sender's array, not a copy; a handle is read once.</summary>
    [Fact]
    public void A_vector_for_a_silo_of_this_process_travels_by_handle_and_is_the_same_array()
    {
        var serializer = Serializer();
        var values = Enumerable.Range(0, 203_530).Select(i => (float)i).ToArray();
        var bytes = serializer.SerializeToArray(new FloatVector(values) { InProcess = true });
        Assert.True(bytes.Length < 64, $"{bytes.Length} bytes");
        Assert.Same(values, serializer.Deserialize<FloatVector>(bytes)!.Values);
        Assert.Contains("is not held", Assert.Throws<InvalidDataException>(() => serializer.Deserialize<FloatVector>(bytes)).Message);

        var block = new float[50_000];
        ProcessVectors.MarkInProcess(block); // a worker's block sums, when its server is in this process
        var copy = serializer.Deserialize<StepSums>(serializer.SerializeToArray(new StepSums(0, [(0, block)], [1], [1], 8, 0)))!;
        Assert.Same(block, copy.Blocks[0].Sum);
    }

    [Fact]
    public void A_workers_step_sums_travel_as_they_are_with_their_blocks_as_raw_floats()
    {
        var serializer = Serializer();
        var block = Enumerable.Range(0, 50_000).Select(i => i * 0.5f).ToArray();
        var part = new StepSums(4, [(4, block), (6, [1f, 2f])], [0.5, 0.25, 1, 2], [3.0, 4.0, 5, 6], 10, 0.01);
        var bytes = serializer.SerializeToArray(part);
        Assert.InRange(bytes.Length, block.Length * 4, block.Length * 4 + 300); // raw float32, not element by element
        var copy = serializer.Deserialize<StepSums>(bytes)!;
        Assert.Equal(4, copy.FirstPartition);
        Assert.Equal([4, 6], copy.Blocks.Select(b => b.Start));
        Assert.Equal(block, copy.Blocks[0].Sum);
        Assert.Equal([1f, 2f], copy.Blocks[1].Sum);
        Assert.Equal(part.Losses, copy.Losses);
        Assert.Equal(part.SquaredNorms, copy.SquaredNorms);
        Assert.Equal((part.Rows, part.ComputeSeconds), (copy.Rows, copy.ComputeSeconds));

        var sums = new ChunkSums(3, [new Core.Models.MetricSums { Count = 5, LossSum = 1.5, Correct = 4 }]);
        var sumsCopy = serializer.Deserialize<ChunkSums>(serializer.SerializeToArray(sums))!;
        Assert.Equal(sums.Sums[0], sumsCopy.Sums[0]);
    }

    /// <summary>--wire bf16: sums already rounded to bfloat16 travel as two bytes a value, and arrive as the same float32 values (a vector of 8 is 17 bytes, as a handle is).</summary>
    [Fact]
    public void Bfloat16_sums_travel_as_two_bytes_a_value_and_arrive_as_the_same_floats()
    {
        var serializer = Serializer();
        var block = Enumerable.Range(0, 50_001).Select(i => MathF.Sin(i) * 1e-3f).Append(float.PositiveInfinity).Append(-0f).ToArray();
        Bfloat16.Round(block);
        var part = new StepSums(0, [(0, block), (4, Bfloat16Of(8))], [0.5], [3.0], 10, 0.01, Bfloat16: true);
        var bytes = serializer.SerializeToArray(part);
        Assert.InRange(bytes.Length, (block.Length + 8) * 2, (block.Length + 8) * 2 + 300);
        var copy = serializer.Deserialize<StepSums>(bytes)!;
        Assert.True(copy.Bfloat16);
        Assert.Equal(block.Select(BitConverter.SingleToUInt32Bits), copy.Blocks[0].Sum.Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(Bfloat16Of(8), copy.Blocks[1].Sum);

        var notRounded = new StepSums(0, [(0, [1.1f])], [0.5], [3.0], 1, 0, Bfloat16: true);
        Assert.Contains("not one: round it first", Assert.Throws<InvalidOperationException>(() => serializer.SerializeToArray(notRounded)).Message);
    }

    private static float[] Bfloat16Of(int count) => Enumerable.Range(1, count).Select(i => Bfloat16.Round(1f / i)).ToArray();

    [Fact]
    public void The_loops_events_keep_their_kind_on_the_wire()
    {
        var serializer = Serializer();
        var stats = new EpochStats(1, 2.5, 10, 3, 0.1, 0.05, 0.01, 0.02, 100, 0.1);
        LoopEvent[] events =
        [
            new StepProgress(1, 2, 3, 0.5),
            new LoopNote("a note"),
            new EpochDone(new EpochReport(1, 0.25, new Core.Models.Metrics(10, 0.3, 0.9, null, null), null, 0.1, 100, 0.1, stats), 20),
            new LoopDone(new TrainingOutcome([], 1, false, null, null, new EarlyStoppingPolicy("loss", 10, 0, true, null))),
        ];
        foreach (var e in events)
        {
            var copy = serializer.Deserialize<LoopEvent>(serializer.SerializeToArray(e))!;
            Assert.Equal(e.GetType(), copy.GetType());
        }
        var done = (EpochDone)serializer.Deserialize<LoopEvent>(serializer.SerializeToArray(events[2]))!;
        Assert.Equal(0.9, done.Report.Validation!.Accuracy);
        Assert.Equal(stats, done.Report.Stats);
    }
}
