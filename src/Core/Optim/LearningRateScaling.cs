namespace Trainer.Core.Optim;

/// <summary>How the learning rate follows the global batch: lr is given for --base-batch and scaled to the job's batch.</summary>
public static class LearningRateScaling
{
    public const string None = "none", Linear = "linear", Sqrt = "sqrt";
    public static IReadOnlyList<string> Kinds { get; } = [None, Linear, Sqrt];

    public static double Scale(string rule, double learningRate, int batch, int baseBatch) => rule switch
    {
        None => learningRate,
        Linear => learningRate * batch / baseBatch,
        Sqrt => learningRate * Math.Sqrt((double)batch / baseBatch),
        _ => throw new ArgumentException($"unknown learning-rate scaling {rule}"),
    };
}
