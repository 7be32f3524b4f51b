using Trainer.Core.Scaling;

namespace Trainer.Core.Tests.Scaling;

public sealed class ScalingCurveTests
{
    [Fact]
    public void Perfect_scaling_ends_where_the_log_log_slope_leaves_minus_one()
    {
        // halving steps per doubling up to 256, then diminishing returns, then a plateau
        var curve = new ScalingCurve([(1024, 420), (32, 6752), (64, 3376), (128, 1688), (256, 844), (512, 530), (2048, 410)]);
        Assert.Equal([32, 64, 128, 256, 512, 1024, 2048], curve.Points.Select(p => p.Batch));
        Assert.Equal(-1.0, curve.Slopes[0], 12);
        Assert.Equal(Math.Log2(530.0 / 844), curve.Slopes[3], 12);
        Assert.Equal(256, curve.PerfectScalingEnd);
        Assert.Equal(6752.0 * 32 / 2048, curve.PerfectSteps(2048));
    }

    [Fact]
    public void A_curve_that_bends_at_once_has_no_perfect_scaling_region()
    {
        Assert.Null(new ScalingCurve([(64, 100), (128, 90)]).PerfectScalingEnd);
        Assert.Null(new ScalingCurve([(64, 100)]).PerfectScalingEnd);
    }
}
