namespace Trainer.Core;

/// <summary>A mistake in what the user gave us (option, data or model file): exit code 2, one line, no stack trace.</summary>
public sealed class UserInputException(string message) : Exception(message);

/// <summary>The loss or gradient became non-finite: exit code 3.</summary>
public sealed class TrainingDivergedException(long step, int epoch, double learningRate, string what)
    : Exception($"training diverged at step {step} (epoch {epoch}, learning rate {learningRate:G4}): {what}; try a smaller --lr")
{
    public long Step { get; } = step;
}
