using Trainer.Core.Training;

namespace Trainer.Grains.Dashboard;

/// <summary>
/// What the dashboard shows, per job this process follows: where it stands, its epochs' curves and
/// its last steps' losses, and which silos hold its parameter server and workers. The trainer feeds
/// it from the events it receives (<c>--dashboard</c>), a silo from the parameter servers it hosts.
/// Small and bounded: a few numbers per epoch, the last <see cref="StepsKept"/> steps.
/// </summary>
public sealed class JobBoard
{
    public const int StepsKept = 400;
    private const int JobsKept = 20;

    private readonly Dictionary<string, Entry> _jobs = [];
    private long _order;

    /// <summary>A job starts, resumes or moves here; <paramref name="done"/> are the epochs it has completed.</summary>
    public void Placed(string job, string model, string mode, int epochs, string parameterServer, IReadOnlyList<string> workerSilos, IEnumerable<EpochReport> done)
    {
        lock (_jobs)
        {
            var entry = Get(job);
            (entry.Model, entry.Mode, entry.Epochs, entry.ParameterServer, entry.WorkerSilos, entry.State) =
                (model, mode, epochs, parameterServer, [.. workerSilos], "running");
            entry.Points.Clear();
            foreach (var report in done) entry.Points.Add(EpochPoint.From(report));
            entry.Epoch = entry.Points.Count + 1;
        }
    }

    public void Step(string job, int epoch, int step, int steps, double loss)
    {
        lock (_jobs)
        {
            var entry = Get(job);
            (entry.Epoch, entry.Step, entry.Steps) = (epoch, step, steps);
            if (double.IsFinite(loss)) entry.Losses.Enqueue(new StepLoss(epoch - 1 + (double)step / Math.Max(1, steps), loss));
            while (entry.Losses.Count > StepsKept) entry.Losses.Dequeue();
        }
    }

    public void Epoch(string job, EpochReport report, int epochs)
    {
        lock (_jobs)
        {
            var entry = Get(job);
            entry.Epochs = epochs;
            // step events are sampled (a short epoch may send none): the epoch's end moves the job on too
            if (report.Epoch >= entry.Epoch) (entry.Epoch, entry.Step, entry.Steps) = (report.Epoch, report.Stats.Steps, report.Stats.Steps);
            entry.Points.RemoveAll(p => p.Epoch >= report.Epoch); // a resumed epoch replaces its first run
            entry.Points.Add(EpochPoint.From(report));
            if (report.Stats.Silos is { Length: > 0 } silos) entry.WorkerSilos = silos;
            entry.Workers = report.Stats.Workers;
        }
    }

    /// <summary>Step and epoch events of a training loop.</summary>
    public void Observe(string job, LoopEvent e)
    {
        switch (e)
        {
            case StepProgress p: Step(job, p.Epoch, p.Step, p.Steps, p.Loss); break;
            case EpochDone d: Epoch(job, d.Report, d.Epochs); break;
        }
    }

    /// <summary>The job ended: finished, failed or cancelled.</summary>
    public void Ended(string job, string state)
    {
        lock (_jobs) Get(job).State = state;
    }

    /// <summary>The jobs, newest first.</summary>
    public IReadOnlyList<JobView> Snapshot()
    {
        lock (_jobs)
            return _jobs.Values.OrderByDescending(e => e.Order).Select(e => new JobView(e.Job, e.Model, e.Mode, e.State, e.Epoch, e.Epochs, e.Step, e.Steps,
                e.ParameterServer, e.Workers, e.WorkerSilos, [.. e.Points], [.. e.Losses])).ToList();
    }

    private Entry Get(string job)
    {
        if (_jobs.TryGetValue(job, out var entry)) return entry;
        if (_jobs.Count >= JobsKept) _jobs.Remove(_jobs.Values.MinBy(e => e.Order)!.Job);
        return _jobs[job] = new Entry(job, ++_order);
    }

    private sealed class Entry(string job, long order)
    {
        public string Job { get; } = job;
        public long Order { get; } = order;
        public string Model = "", Mode = "", State = "running", ParameterServer = "";
        public int Epoch = 1, Epochs, Step, Steps, Workers;
        public string[] WorkerSilos = [];
        public List<EpochPoint> Points { get; } = [];
        public Queue<StepLoss> Losses { get; } = new();
    }
}

/// <summary>One job as the page reads it (JSON).</summary>
public sealed record JobView(string Job, string Model, string Mode, string State, int Epoch, int Epochs, int Step, int Steps,
    string ParameterServer, int Workers, string[] WorkerSilos, EpochPoint[] Points, StepLoss[] Losses);

/// <summary>A step's mean loss at its place in epochs (2.5: half-way through epoch 3).</summary>
public sealed record StepLoss(double At, double Loss);

/// <summary>An epoch's figures: loss and accuracy, throughput, the mean step's time split (ms), the noise scale. Null where not measured.</summary>
public sealed record EpochPoint(int Epoch, double? TrainLoss, double? ValLoss, double? ValAccuracy, double? SamplesPerSecond,
    double? ComputeMs, double? CommunicationMs, double? UpdateMs, double? NoiseScale)
{
    public static EpochPoint From(EpochReport r)
    {
        var steps = Math.Max(1, r.Stats.Steps);
        return new EpochPoint(r.Epoch, Finite(r.TrainLoss), Finite(r.Validation?.Loss), Finite(r.Validation is { } v ? v.Accuracy ?? v.R2 : null),
            Finite(r.SamplesPerSecond), Finite(1000 * r.Stats.ComputeSeconds / steps), Finite(1000 * r.Stats.CommunicationSeconds / steps),
            Finite(1000 * r.Stats.UpdateSeconds / steps), Finite(r.Stats.NoiseScale));
    }

    /// <summary>JSON has no NaN or infinity: a diverged figure is left out.</summary>
    private static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;
}
