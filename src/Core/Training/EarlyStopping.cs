using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>What early stopping remembers, apart from the best weights: enough to resume it exactly.</summary>
public sealed record EarlyStoppingState(int BestEpoch, double BestScore, double BestLoss, int EpochsWithoutImprovement, bool ShouldStop)
{
    public static EarlyStoppingState Initial { get; } = new(0, double.NegativeInfinity, double.PositiveInfinity, 0, false);

    /// <summary>The best value seen of what is watched (<see cref="EarlyStoppingPolicy.Watches"/>): the lowest loss or the highest accuracy; null before the first validation.</summary>
    public double? BestOf(string watched) => BestEpoch == 0 ? null : watched == EarlyStoppingPolicy.Accuracy ? BestScore : BestLoss;
}

/// <summary>
/// How a job stops early, as the loop applies it: what it watches, its patience, and whether the
/// best epoch's weights are restored at the end. <see cref="For"/> turns the options and the size of
/// the validation set into one, since a set too small to decide on must not decide.
/// </summary>
public sealed record EarlyStoppingPolicy(string Monitor, int Patience, double MinDelta, bool RestoreBest, string? Note)
{
    public const string Loss = "loss", Accuracy = "accuracy";
    public static IReadOnlyList<string> Monitors { get; } = [Loss, Accuracy];

    /// <summary>What --monitor watches on a task: accuracy only where there is one (regression always watches the loss).</summary>
    public static string Watches(string monitor, bool classification) => monitor == Accuracy && classification ? Accuracy : Loss;

    /// <summary>Epochs without improvement before stopping, as scikit-learn's n_iter_no_change.</summary>
    public const int DefaultPatience = 10;

    /// <summary>Below this many validation rows one row moves accuracy by more than 2 points: too few to pick an epoch by.</summary>
    public const int MinimumRows = 50;

    /// <param name="validationRows">0 when there is no validation set: then nothing is watched and the last weights are kept.</param>
    public static EarlyStoppingPolicy For(TrainOptions options, int validationRows)
    {
        if (validationRows == 0) return new(options.Monitor, 0, options.MinDelta, RestoreBest: false, Note: null);
        if (validationRows >= MinimumRows)
            return new(options.Monitor, options.Patience ?? DefaultPatience, options.MinDelta, RestoreBest: true, Note: null);

        var tooFew = $"the validation set has {validationRows} rows, fewer than the {MinimumRows} early stopping needs to decide on " +
                     $"(one row moves its accuracy by {100.0 / validationRows:F1} points)";
        return options.Patience is { } patience
            ? new(options.Monitor, patience, options.MinDelta, RestoreBest: true, $"{tooFew}: with --patience {patience} it may decide on noise")
            : new(options.Monitor, 0, options.MinDelta, RestoreBest: false,
                $"{tooFew}: early stopping is off, all {options.Epochs} epochs run and the last epoch's weights are kept (--patience N turns it on)");
    }
}

/// <summary>
/// Early stopping on validation metrics, as Keras's EarlyStopping with restore_best_weights. By
/// default it watches the validation loss, which moves smoothly where accuracy moves in steps of one
/// row: an epoch is better when its loss is lower by more than <c>MinDelta</c>; an equal loss keeps the
/// earlier epoch. Watching accuracy, an epoch is better when its accuracy is higher by more than
/// <c>MinDelta</c>, or equal with a lower loss (on small sets accuracy ties often). Regression always
/// watches the loss. It stops after <c>Patience</c> epochs without improvement; patience 0 never
/// stops. Its memory is the loop's (<see cref="LoopState"/>): the best epoch and, when the policy
/// restores it, that epoch's weights.
/// </summary>
public sealed class EarlyStopping(EarlyStoppingPolicy policy, LoopState? state = null)
{
    private readonly LoopState _state = state ?? new LoopState();

    public EarlyStoppingPolicy Policy { get; } = policy;
    public EarlyStoppingState State => _state.Stopping;
    public float[]? BestWeights => _state.BestWeights;
    public int BestEpoch => State.BestEpoch;
    public double BestScore => State.BestScore;
    public bool ShouldStop => State.ShouldStop;

    /// <summary>What decides on these metrics: the loss, or the accuracy when it is asked for and there is one (not in regression).</summary>
    public string MonitorOf(Metrics validation) => EarlyStoppingPolicy.Watches(Policy.Monitor, validation.Accuracy is not null);

    /// <summary>The watched value of these metrics.</summary>
    public double Watched(Metrics validation) => MonitorOf(validation) == EarlyStoppingPolicy.Loss ? validation.Loss : validation.Accuracy!.Value;

    /// <summary>Takes an epoch's validation metrics; true when they are the best so far.</summary>
    public bool Observe(int epoch, Metrics validation, ReadOnlySpan<float> weights)
    {
        var s = State;
        var byLoss = MonitorOf(validation) == EarlyStoppingPolicy.Loss;
        var better = s.BestEpoch == 0 || (byLoss
            ? validation.Loss < s.BestLoss - Policy.MinDelta
            : validation.Score > s.BestScore + Policy.MinDelta || (validation.Score == s.BestScore && validation.Loss < s.BestLoss));
        if (better)
        {
            _state.Stopping = new EarlyStoppingState(epoch, validation.Score, validation.Loss, 0, false);
            if (Policy.RestoreBest) _state.BestWeights = weights.ToArray();
            return true;
        }
        var without = s.EpochsWithoutImprovement + 1;
        _state.Stopping = s with { EpochsWithoutImprovement = without, ShouldStop = Policy.Patience > 0 && without >= Policy.Patience };
        return false;
    }
}
