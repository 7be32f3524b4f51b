namespace Trainer.Core.Optim;

/// <summary>
/// The learning rate at each step: a linear warm-up over the first warm-up epochs (from lr/W to lr
/// across W warm-up steps), then constant, step (×0.1 at 50% and 75% of training) or cosine decay to zero.
/// </summary>
public sealed record LearningRateSchedule(string Kind, double BaseRate, int Epochs, int StepsPerEpoch, double WarmupEpochs = 0)
{
    public static IReadOnlyList<string> Kinds { get; } = ["constant", "step", "cosine"];

    public long TotalSteps => (long)Epochs * StepsPerEpoch;
    public long WarmupSteps => (long)Math.Round(WarmupEpochs * StepsPerEpoch);

    /// <summary>The rate for the 0-based global step.</summary>
    public double At(long step)
    {
        var warmup = WarmupSteps;
        if (step < warmup) return BaseRate * (step + 1) / warmup;
        var span = Math.Max(1, TotalSteps - warmup);
        var progress = Math.Clamp((double)(step - warmup) / span, 0, 1);
        return Kind switch
        {
            "constant" => BaseRate,
            "step" => BaseRate * (progress < 0.5 ? 1 : progress < 0.75 ? 0.1 : 0.01),
            "cosine" => BaseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => throw new ArgumentException($"unknown schedule {Kind}"),
        };
    }
}
