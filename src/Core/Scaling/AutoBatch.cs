using System.Text.Json;
using Trainer.Core.Training;

namespace Trainer.Core.Scaling;

/// <summary>
/// --batch auto as asked for: the batch range (0: the default, resolved when the data's size is
/// known, <see cref="Resolve"/>), the start batch, and optionally a pinned step-cost fit
/// (--batch-cost) or a schedule to replay (--batch-schedule). <see cref="TrainOptions.Batch"/> is the
/// start batch.
/// </summary>
public sealed record AutoBatchOptions
{
    public int Min { get; init; }
    public int Max { get; init; }
    /// <summary>The pinned t = a + b·B (--batch-cost A,B); null: fitted to the job's measured step times.</summary>
    public StepCostFit? Cost { get; init; }
    /// <summary>A recorded schedule to run (--batch-schedule): its epochs' batch and gain are taken as they are, never decided again.</summary>
    public IReadOnlyList<BatchEpoch>? Replay { get; init; }
    /// <summary>The file <see cref="Replay"/> was read from, for the report's options.</summary>
    public string? ReplayFile { get; init; }

    /// <summary>The smallest P·2^k that is at least 32 (P itself when P is larger): a batch every partition divides.</summary>
    public static int DefaultMin(int partitions)
    {
        long m = partitions;
        while (m < 32) m *= 2;
        return (int)m;
    }

    /// <summary>
    /// The range as the job runs it: --batch-min or <see cref="DefaultMin"/>; --batch-max or the largest
    /// P·2^k at most min(4096, rows / 4) whose buffers <paramref name="fits"/> (never below min).
    /// Bad bounds are one-line errors naming the option.
    /// </summary>
    public (int Min, int Max) Resolve(int rows, int partitions, int start, Func<int, bool> fits)
    {
        var min = Min > 0 ? Min : DefaultMin(partitions);
        if (min < partitions) throw new UserInputException($"--batch-min {min}: must be at least --partitions {partitions} (every partition needs a row per step)");
        if (min > rows) throw new UserInputException($"--batch-min {min} is larger than the training set ({rows} rows)");
        int max;
        if (Max > 0)
        {
            max = Max;
            if (max < min) throw new UserInputException($"--batch-max {max}: must be at least --batch-min {min}");
            if (max > rows) throw new UserInputException($"--batch-max {max} is larger than the training set ({rows} rows)");
        }
        else
        {
            var cap = Math.Min(4096, rows / 4);
            max = min;
            for (long m = partitions; m <= cap; m *= 2)
                if (m > min && fits((int)m)) max = (int)m;
        }
        if (start < min || start > max)
            throw new UserInputException($"--batch-start {start}: must be within --batch-min {min} and --batch-max {max}");
        return (min, max);
    }
}

/// <summary>
/// One epoch's entry of an adaptive schedule: its batch and learning-rate gain, what the model
/// predicted for it (efficiency, goodput in samples/s), how it came about (start, decided, kept,
/// replayed) and the inputs of the decision: the noise statistics at the epoch boundary and the
/// step-cost fit. Recorded before the epoch's first step; a resumed job reads it back.
/// </summary>
public sealed record BatchEpoch(int Epoch, int Batch, double LrGain, double? Efficiency, double? Goodput, string Source,
    double? NoiseScale = null, double? Trace = null, double? Signal = null, double? CostFixedMs = null, double? CostPerSampleMs = null);

/// <summary>A job's adaptive schedule as far as it has run, with the batch range it decides in: part of its checkpoint.</summary>
public sealed class BatchScheduleState
{
    public int Min { get; set; }
    public int Max { get; set; }
    public int Start { get; set; }
    public List<BatchEpoch> Epochs { get; set; } = [];

    public BatchEpoch? Of(int epoch) => Epochs.FirstOrDefault(e => e.Epoch == epoch);
}

/// <summary>
/// --batch auto's decision at an epoch boundary, the same code for the reference trainer and the
/// parameter server: a recorded epoch is never decided again; a replayed schedule's epoch is taken as
/// it is; otherwise <see cref="BatchPolicy.Decide"/> over the grid from the noise scale at the boundary
/// and the step-cost fit (pinned, or fitted to the epochs' recorded step times, and then only over
/// batches up to twice the largest one measured: a fit is not extrapolated far from its data), and
/// AdaScale's gain for the chosen batch. A pure function of recorded state: the same inputs give the
/// same entry.
/// </summary>
public static class BatchSchedule
{
    public const string Start = "start", Decided = "decided", Kept = "kept", Replayed = "replayed";

    public static BatchEpoch For(int epoch, AutoBatchOptions auto, int partitions, BatchScheduleState state, IReadOnlyList<EpochReport> done, NoiseScaleState noise)
    {
        if (state.Of(epoch) is { } recorded) return recorded;
        if (auto.Replay?.FirstOrDefault(e => e.Epoch == epoch) is { } replayed)
            return replayed.Batch >= partitions ? replayed with { Source = Replayed }
                : throw new UserInputException($"--batch-schedule: epoch {epoch}'s batch {replayed.Batch} is smaller than --partitions {partitions} (every partition needs a row per step)");
        var cost = auto.Cost ?? MeasuredCost(done);
        var previous = state.Of(epoch - 1);
        if (previous is null)
        {
            var first = cost is null ? null : (double?)cost.SamplesPerSecond(state.Start);
            return new BatchEpoch(epoch, state.Start, 1, 1, first, Start, CostFixedMs: cost?.FixedMs, CostPerSampleMs: cost?.PerSampleMs);
        }
        var (trace, signal) = noise.Weight > 0 ? (noise.Trace / noise.Weight, noise.Signal / noise.Weight) : (double.NaN, double.NaN);
        var phi = noise.Value;
        if (cost is null || phi is null) // nothing to decide by yet: the batch stays, at its gain
            return new BatchEpoch(epoch, previous.Batch, BatchPolicy.Gain(trace, signal, state.Start, previous.Batch), BatchPolicy.Efficiency(phi, state.Start, previous.Batch),
                cost is null ? null : BatchPolicy.Predict(cost, phi, state.Start, previous.Batch).Goodput, Kept, phi, Finite(trace), Finite(signal), cost?.FixedMs, cost?.PerSampleMs);
        var grid = BatchPolicy.Grid(state.Min, state.Max, partitions);
        if (auto.Cost is null) // a fit to measured times is trusted only near its data: at most twice the largest batch measured
        {
            var measured = done.Select(e => e.Stats.Batch).Append(previous.Batch).Max();
            grid = grid.Where(m => m <= 2L * measured).ToList();
        }
        var decision = BatchPolicy.Decide(grid, previous.Batch, cost, phi, state.Start);
        return new BatchEpoch(epoch, decision.Batch, BatchPolicy.Gain(trace, signal, state.Start, decision.Batch), decision.Predicted.Efficiency, decision.Predicted.Goodput,
            decision.Switched ? Decided : Kept, phi, Finite(trace), Finite(signal), cost.FixedMs, cost.PerSampleMs);
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    /// <summary>
    /// The fit to the finished epochs' step times (training time less checkpoints, per step): least
    /// squares over (batch, step time) once two batches have run and the line is physical (a fixed
    /// cost and a per-sample cost both above 0); otherwise the epochs' split of a step into compute
    /// (per sample: the compute time over the rows) and the rest (per step: communication, update).
    /// A load spike during one epoch can tilt a two-point line to a negative fixed cost, which would
    /// promise nothing from a larger batch ever after; the split is not tilted so, since load slows
    /// compute and the rest alike.
    /// </summary>
    public static StepCostFit? MeasuredCost(IReadOnlyList<EpochReport> done)
    {
        var epochs = done.Where(e => e.Stats.Batch > 0 && e.Stats.Steps > 0 && e.TrainSeconds > 0).ToList();
        if (epochs.Count == 0) return null;
        double StepMs(EpochReport e) => 1000 * Math.Max(0, e.TrainSeconds - e.Stats.CheckpointSeconds) / e.Stats.Steps;
        // the least-squares line only when it is physical as fitted: StepCostFit clamps a tilted one to a zero cost
        if (epochs.Select(e => e.Stats.Batch).Distinct().Count() >= 2 &&
            StepCostFit.Fit(epochs.Select(e => (e.Stats.Batch, StepMs(e))).ToList()) is { FixedMs: > 0, PerSampleMs: > 0 } line)
            return line;
        var steps = epochs.Sum(e => (double)e.Stats.Steps);
        var rows = epochs.Sum(e => (double)e.Stats.Rows);
        var totalMs = epochs.Sum(e => StepMs(e) * e.Stats.Steps);
        var computeMs = Math.Min(totalMs, 1000 * epochs.Sum(e => e.Stats.ComputeSeconds));
        if (!(computeMs > 0) || !(rows > 0)) return StepCostFit.Fit(epochs.Select(e => (e.Stats.Batch, StepMs(e))).ToList());
        return new StepCostFit((totalMs - computeMs) / steps, computeMs / rows);
    }

    /// <summary>
    /// A schedule to replay (--batch-schedule): a report.json, or any JSON with the same
    /// <c>epochs</c> array whose entries give <c>epoch</c>, <c>batch</c> and <c>lrGain</c>.
    /// </summary>
    public static IReadOnlyList<BatchEpoch> Read(string path)
    {
        const string option = "--batch-schedule";
        if (!File.Exists(path)) throw new UserInputException($"{option} {path}: no such file");
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UserInputException($"{option} {path}: not JSON ({e.Message.Split('\n')[0]})"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("epochs", out var epochs) || epochs.ValueKind != JsonValueKind.Array)
                throw new UserInputException($"{option} {path}: expected a report.json or an object with an \"epochs\" array");
            var schedule = new List<BatchEpoch>();
            var index = 0;
            foreach (var entry in epochs.EnumerateArray())
            {
                index++;
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("epoch", out var e) || !e.TryGetInt32(out var epoch) ||
                    !entry.TryGetProperty("batch", out var b) || !b.TryGetInt32(out var batch) || batch < 1 ||
                    !entry.TryGetProperty("lrGain", out var g) || !g.TryGetDouble(out var gain) || !double.IsFinite(gain) || gain <= 0)
                    throw new UserInputException($"{option} {path}: epochs entry {index} needs epoch, batch (at least 1) and lrGain (above 0); a report of a fixed-batch run has no lrGain");
                schedule.Add(new BatchEpoch(epoch, batch, gain, null, null, Replayed));
            }
            if (schedule.Count == 0) throw new UserInputException($"{option} {path}: its epochs array is empty");
            return schedule;
        }
    }
}
