using System.Diagnostics;
using Trainer.Client.Commands.Train;
using Trainer.Core.Data;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Output;

/// <summary>
/// A run's progress.json in its --out folder, for <c>trainer dashboard</c>: rewritten atomically at
/// an epoch's end (a reader never sees half a file), at most once per <see cref="Interval"/>;
/// marked cancelled or failed when the run ends so, and deleted once report.json is written.
/// Nothing is written before the first epoch ends, so a run refused at its start or diverged in its
/// first epoch leaves no folder, as before.
/// </summary>
public sealed class ProgressFile(ITrainingObserver inner, string folder, string job, DataSpec spec) : ITrainingObserver
{
    /// <summary>Epochs of milliseconds (digits) would rewrite the file a thousand times a second: at most once per this.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly (int Id, DateTime Started) Self = Identify();

    private readonly List<RunPoint> _points = [];
    private string _model = "", _dataset = "";
    private int _batch, _epochs;
    private IReadOnlyDictionary<string, object>? _options;
    private bool _written, _failing;
    private DateTime _lastWrite;

    public string Path => System.IO.Path.Combine(folder, RunProgress.FileName);

    /// <summary>The job has its data and its place: what the dashboard shows of it before its report.</summary>
    public void Placed(JobRun run, string model)
    {
        (_model, _dataset, _batch, _epochs) = (model, run.Dataset, run.Options.Batch, run.Options.Epochs);
        _options = ReportOptions.From(spec, run.Options, run);
    }

    public void StepCompleted(int epoch, int step, int steps, double loss) => inner.StepCompleted(epoch, step, steps, loss);

    public void EpochCompleted(EpochReport report, int epochs, EpochVerdict? verdict)
    {
        inner.EpochCompleted(report, epochs, verdict);
        _points.RemoveAll(p => p.Epoch >= report.Epoch); // a recovered epoch replaces its first run
        _points.Add(RunPoint.From(report));
        _epochs = epochs;
        if (!_written || DateTime.UtcNow - _lastWrite >= Interval) Write(RunProgress.Running);
    }

    public void Note(string note) => inner.Note(note);

    /// <summary>The run ended without results: a written file says how, so that it does not look running.</summary>
    public void Ended(string status)
    {
        if (_written) Write(status);
    }

    /// <summary>How a run that threw <paramref name="e"/> ended: cancelled (Ctrl-C, 'trainer cancel') or failed.</summary>
    public static string StatusOf(Exception e) =>
        e is OperationCanceledException or JobFaultException { Kind: JobFaultException.Cancelled } ? RunProgress.Cancelled : RunProgress.Failed;

    /// <summary>report.json is in place: the folder is a finished run.</summary>
    public void Finished()
    {
        try { File.Delete(Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { inner.Note($"warning: cannot delete {Path} ({e.Message})"); }
    }

    private void Write(string status)
    {
        var progress = new RunProgress(status, job, _model, _dataset, _batch, _epochs, Environment.MachineName, Self.Id, Self.Started, DateTime.UtcNow, [.. _points], _options);
        try
        {
            Directory.CreateDirectory(folder);
            RunOutput.WriteAtomically(Path, progress.ToJson());
            (_written, _lastWrite) = (true, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the dashboard's view is not worth a run: say so once, train on
            if (!_failing) inner.Note($"warning: cannot write {Path} ({e.Message}); trainer dashboard will not show this run until it ends");
            _failing = true;
        }
    }

    private static (int, DateTime) Identify()
    {
        using var self = Process.GetCurrentProcess();
        return (self.Id, self.StartTime.ToUniversalTime());
    }
}
