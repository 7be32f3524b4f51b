namespace Trainer.Core.Training;

/// <summary>What the training loop tells whoever runs it, in order: steps, notes, epochs, and its end.</summary>
public abstract record LoopEvent;

/// <summary>Steps of an epoch are done (on a cluster, every step since the last such event); the loss is the last step's mean.</summary>
public sealed record StepProgress(int Epoch, int Step, int Steps, double Loss) : LoopEvent;

/// <summary>One line the user should read about how the run goes.</summary>
public sealed record LoopNote(string Text) : LoopEvent;

/// <summary>An epoch is done and judged; <c>Verdict</c> says how, when there is a validation set.</summary>
public sealed record EpochDone(EpochReport Report, int Epochs, EpochVerdict? Verdict = null) : LoopEvent;

/// <summary>
/// What early stopping made of an epoch: the value it watches (<c>Monitor</c>: loss or accuracy, as
/// <see cref="EarlyStoppingPolicy"/> names them) and whether the epoch is the best so far, the one whose
/// weights the result keeps if none better follows (never when the policy keeps the last epoch's).
/// </summary>
public sealed record EpochVerdict(string Monitor, double Value, bool Best);

/// <summary>Training is over: all that the result is made of but the final weights, which the runner holds.</summary>
public sealed record LoopDone(TrainingOutcome Outcome) : LoopEvent;

/// <summary>The outcome of a training job: the epochs, the epoch whose weights are the result, and the final test.</summary>
public sealed record TrainingOutcome(IReadOnlyList<EpochReport> Epochs, int BestEpoch, bool StoppedEarly, Models.Metrics? Test, int? TargetEpoch,
    EarlyStoppingPolicy EarlyStopping);

/// <summary>A step of an epoch run by an <see cref="IEpochRunner"/>, or a line the user should read (the workers moved); the last one carries the epoch's statistics.</summary>
public sealed record EpochProgress(int Step, int Steps, double Loss, EpochStats? Stats = null, string? Note = null);

/// <summary>Hears about progress as training goes; the CLI draws it, tests ignore it.</summary>
public interface ITrainingObserver
{
    void StepCompleted(int epoch, int step, int steps, double loss) { }
    void EpochCompleted(EpochReport report, int epochs, EpochVerdict? verdict) { }
    /// <summary>Something the user should know about how the run goes (one line).</summary>
    void Note(string note) { }

    /// <summary>Tells the observer about an event of the loop.</summary>
    void Observe(LoopEvent e)
    {
        switch (e)
        {
            case StepProgress p: StepCompleted(p.Epoch, p.Step, p.Steps, p.Loss); break;
            case EpochDone d: EpochCompleted(d.Report, d.Epochs, d.Verdict); break;
            case LoopNote n: Note(n.Text); break;
        }
    }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    public static SilentObserver Instance { get; } = new();
}
