using System.Diagnostics;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>
/// Progress of a training job: on a terminal a live line per epoch (steps, loss, samples/s, ETA)
/// redrawn at most ten times a second on stderr; always one plain line per finished epoch on stdout,
/// which is all there is when output is not a terminal.
/// </summary>
public sealed class ConsoleProgress(TextWriter output, int batch = 0) : ITrainingObserver
{
    private readonly bool _live = !Console.IsErrorRedirected && ReferenceEquals(output, Console.Out);
    private readonly Stopwatch _sinceDraw = new();
    private readonly Stopwatch _epochClock = new();
    private double _lossSum;
    private int _losses;
    private int _epoch;

    public void StepCompleted(int epoch, int step, int steps, double loss)
    {
        if (epoch != _epoch) // a new epoch: its clock and mean loss start again
        {
            (_epoch, _lossSum, _losses) = (epoch, 0, 0);
            _epochClock.Restart();
            _sinceDraw.Restart();
        }
        _lossSum += loss;
        _losses++;
        if (!_live || (_sinceDraw.ElapsedMilliseconds < 100 && step < steps)) return;
        _sinceDraw.Restart();
        var elapsed = _epochClock.Elapsed.TotalSeconds;
        var eta = elapsed / step * (steps - step);
        var width = 24;
        var filled = (int)((double)step / steps * width);
        var speed = batch > 0 ? $"  {step * batch / Math.Max(elapsed, 1e-9):N0} samples/s" : "";
        Console.Error.Write($"\repoch {epoch} [{new string('=', filled)}{new string(' ', width - filled)}] {step}/{steps}  loss {_lossSum / _losses:F4}{speed}  ETA {eta:F0}s   ");
    }

    public void Note(string note) => output.WriteLine($"note: {note}");

    public void EpochCompleted(EpochReport report, int epochs, EpochVerdict? verdict)
    {
        if (_live) Console.Error.Write("\r" + new string(' ', 100) + "\r");
        var validation = report.Validation is { } v ? Validation(v, verdict) : "";
        var test = report.Test is { } t ? t.Accuracy is { } tacc ? $"  test acc {tacc:F4}" : $"  test R² {t.R2:F4}" : "";
        var noise = report.Stats.NoiseScale is { } b ? $"  noise scale {b:N0}" : "";
        var auto = report.Stats.AutoBatch is { } a ? $"  batch {a.Batch} (lr ×{a.LrGain:F2})" : "";
        output.WriteLine($"epoch {report.Epoch}/{epochs}  train loss {report.TrainLoss:F4}{validation}{test}  " +
                         $"{report.SamplesPerSecond:N0} samples/s  {report.TrainSeconds:F2}s{noise}{auto}");
    }

    /// <summary>
    /// The validation figures, the one early stopping watches first and marked "(best)" on the epoch
    /// it would keep: by default the loss, so that "best epoch 5" reads true beside a higher accuracy at 6.
    /// </summary>
    private static string Validation(Metrics v, EpochVerdict? verdict)
    {
        var best = verdict?.Best == true ? " (best)" : "";
        var score = v.Accuracy is { } acc ? $"val acc {acc:F4}" : $"val R² {v.R2:F4}";
        return verdict?.Monitor switch
        {
            EarlyStoppingPolicy.Loss => $"  val loss {v.Loss:F4}{best}  {score}",
            EarlyStoppingPolicy.Accuracy => $"  {score}{best}  val loss {v.Loss:F4}",
            _ => $"  {score}",
        };
    }
}
