using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class Bfloat16Tests
{
    [Theory]
    [InlineData(0x3F800000u, 0x3F800000u)] // 1
    [InlineData(0x3F808000u, 0x3F800000u)] // 1 + 2^-8: halfway, down to the even 1
    [InlineData(0x3F818000u, 0x3F820000u)] // 1 + 3·2^-8: halfway, up to the even 1 + 2^-6
    [InlineData(0x3F808001u, 0x3F810000u)] // just above halfway: up
    [InlineData(0xBB23D70Au, 0xBB240000u)] // -2.5e-3
    [InlineData(0x7F7FFFFFu, 0x7F800000u)] // float32's largest rounds past bfloat16's: infinity
    [InlineData(0xFF800000u, 0xFF800000u)] // -infinity
    [InlineData(0x000116C2u, 0x00010000u)] // a denormal keeps its top bits
    [InlineData(0x80000000u, 0x80000000u)] // -0
    public void Rounds_to_the_nearest_bfloat16_ties_to_even(uint value, uint expected)
    {
        var rounded = Bfloat16.Round(BitConverter.UInt32BitsToSingle(value));
        Assert.Equal(expected, BitConverter.SingleToUInt32Bits(rounded));
        Assert.True(Bfloat16.IsExact(rounded));
    }

    [Fact]
    public void A_nan_stays_a_nan_also_one_whose_payload_is_in_the_low_bits()
    {
        var lowPayload = BitConverter.UInt32BitsToSingle(0x7F800001); // would round to infinity by the add-and-mask rule
        Assert.True(float.IsNaN(Bfloat16.Round(lowPayload)));
        Assert.True(float.IsNaN(Bfloat16.Round(float.NaN)));
        var values = Enumerable.Repeat(lowPayload, 37).ToArray();
        Bfloat16.Round(values);
        Assert.All(values, v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>The vector loop and the scalar tail round every value alike.</summary>
    [Fact]
    public void Rounding_a_span_equals_rounding_each_value()
    {
        var random = new System.Random(7);
        var values = Enumerable.Range(0, 1003).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30)))).ToArray();
        values[5] = float.NaN;
        values[6] = -0f;
        var rounded = values.ToArray();
        Bfloat16.Round(rounded);
        Assert.Equal(values.Select(v => BitConverter.SingleToUInt32Bits(Bfloat16.Round(v))), rounded.Select(BitConverter.SingleToUInt32Bits));
    }

    /// <summary>Error feedback loses nothing, it delays: what was sent over the steps plus the residual is what was computed.</summary>
    [Fact]
    public void Error_feedback_sends_over_the_steps_what_was_computed_less_only_the_last_residual()
    {
        var feedback = new ErrorFeedback();
        var random = new System.Random(3);
        var (computed, sent) = (new double[100], new double[100]);
        var last = new float[100];
        for (var step = 0; step < 50; step++)
        {
            var sum = Enumerable.Range(0, 100).Select(_ => (float)(random.NextDouble() * 1e-2 + 1)).ToArray();
            for (var i = 0; i < 100; i++) computed[i] += sum[i];
            feedback.Round(0, sum);
            Assert.All(sum, v => Assert.True(Bfloat16.IsExact(v)));
            for (var i = 0; i < 100; i++) sent[i] += sum[i];
            last = sum;
        }
        var once = new float[100];
        for (var i = 0; i < 100; i++)
        {
            var drift = Math.Abs(computed[i] - sent[i]);
            Assert.True(drift <= 1.0 / 256, $"value {i}: sent {sent[i]} of {computed[i]} computed"); // at most one rounding behind, never 50
        }
        Assert.Equal(1, feedback.Blocks);
        feedback.Round(4, once); // another block has its own residual
        Assert.Equal(2, feedback.Blocks);
        feedback.KeepOnly([(4, 100)]);
        Assert.Equal(1, feedback.Blocks);
    }
}
