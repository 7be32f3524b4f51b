using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
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

    [Fact]
    public void Messages_with_core_types_and_vectors_round_trip()
    {
        var serializer = Serializer();
        var part = new PartialGradient([new BlockSum(4, new FloatVector([1f, 2f]))], [0.5, 0.25], [3.0, 4.0], 10, 0.01);
        var copy = serializer.Deserialize<PartialGradient>(serializer.SerializeToArray(part))!;
        Assert.Equal(4, copy.Blocks[0].Start);
        Assert.Equal([1f, 2f], copy.Blocks[0].Sum.Values);
        Assert.Equal(part.Losses, copy.Losses);
        Assert.Equal(part.SquaredNorms, copy.SquaredNorms);

        var sums = new ChunkSums(3, [new Core.Models.MetricSums { Count = 5, LossSum = 1.5, Correct = 4 }]);
        var sumsCopy = serializer.Deserialize<ChunkSums>(serializer.SerializeToArray(sums))!;
        Assert.Equal(sums.Sums[0], sumsCopy.Sums[0]);
    }
}
