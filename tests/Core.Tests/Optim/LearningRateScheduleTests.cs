using Trainer.Core.Optim;

namespace Trainer.Core.Tests.Optim;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_rises_linearly_to_the_base_rate()
    {
        var schedule = new LearningRateSchedule("constant", 0.4, Epochs: 10, StepsPerEpoch: 4, WarmupEpochs: 1);
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.4], Enumerable.Range(0, 5).Select(s => Math.Round(schedule.At(s), 12)));
    }

    [Fact]
    public void Step_schedule_divides_by_ten_at_half_and_three_quarters()
    {
        var schedule = new LearningRateSchedule("step", 1, Epochs: 4, StepsPerEpoch: 10);
        Assert.Equal(1, schedule.At(19));
        Assert.Equal(0.1, schedule.At(20), 12);
        Assert.Equal(0.01, schedule.At(30), 12);
    }

    [Fact]
    public void Cosine_schedule_falls_from_the_base_rate_to_zero_after_warmup()
    {
        var schedule = new LearningRateSchedule("cosine", 2, Epochs: 3, StepsPerEpoch: 10, WarmupEpochs: 1);
        Assert.Equal(2, schedule.At(10), 12);
        Assert.Equal(1, schedule.At(20), 12);
        Assert.Equal(0, schedule.At(30), 12);
    }
}
