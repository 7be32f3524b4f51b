using System.Text;
using Trainer.Core.Scaling;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// <c>trainer scale --project</c>: the cost model fitted to the sweep's cluster runs, checked
/// against each of them, then projected to more workers and shards than this machine has at the
/// sweep's largest batch, with where a single parameter server stops paying.
/// </summary>
public static class Projection
{
    private static readonly int[] WorkerCounts = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    private static readonly int[] ShardCounts = [1, 2, 4, 8, 16];

    /// <param name="links">Networks to project onto (--link, --latency); none: this machine's loopback.</param>
    public static string Describe(ScaleGrid grid, IReadOnlyList<ScaleResult> results, IReadOnlyList<NetworkLink>? links = null)
    {
        var measured = results.Where(r => r.SamplesPerSecond > 0 && r.WorkersUsed > 0).ToArray();
        // on this machine, workers beyond cores / threads take turns on the cores
        var samples = measured.Select(r => new StepSample(r.Point.Batch, r.WorkersUsed, r.PsShards, r.BytesPerStep, r.ComputeMs, r.CommunicationMs, r.UpdateMs,
            Math.Clamp(Environment.ProcessorCount / Math.Max(1, r.Threads), 1, r.WorkersUsed))).ToArray();
        if (samples.Length == 0) return "projection: no measured runs\n";
        var parameters = measured[0].ParameterCount;
        var model = CostModel.Fit(samples, parameters);

        var text = new StringBuilder();
        text.AppendLine($"cost model fitted to {samples.Length} runs ({parameters:N0} parameters): compute {model.ComputeFixedMs:F3} ms + {model.ComputePerSampleMs * 1000:F2} µs per sample; " +
                        $"transfer {model.LatencyMs:F3} ms + bytes at {model.BytesPerMs / 1e6:F2} GB/s; update {model.UpdatePerParameterMs * 1e6:F2} ns per parameter");
        text.AppendLine($"{"batch",7}{"workers",9}{"computing",11}{"shards",8}{"measured ms",13}{"predicted ms",14}{"error",8}");
        var errors = new List<double>();
        foreach (var s in samples)
        {
            var predicted = model.StepMs(s.Batch, s.Workers, s.Shards, s.ComputingWorkers);
            var error = (predicted - s.StepMs) / s.StepMs;
            errors.Add(Math.Abs(error));
            text.AppendLine($"{s.Batch,7}{s.Workers,9}{s.ComputingWorkers,11}{s.Shards,8}{s.StepMs,13:F2}{predicted,14:F2}{$"{(error < -0.005 ? "-" : "+")}{Math.Abs(error):P0}".Replace(" ", ""),8}");
        }
        text.AppendLine($"mean absolute error {100 * errors.Average():F0}% over the measured runs");

        var batch = grid.Batches[^1];
        if (links is not { Count: > 0 })
        {
            text.AppendLine($"projected samples/s at batch {batch} (one worker per machine; shards on their own links):");
            text.AppendLine($"{"workers",9}" + string.Concat(ShardCounts.Select(s => $"{$"S={s}",12}")));
            foreach (var workers in WorkerCounts.Where(w => w <= batch))
                text.AppendLine($"{workers,9}" + string.Concat(ShardCounts.Select(s => $"{model.SamplesPerSecond(batch, workers, s),12:N0}")));
            var counts = WorkerCounts.Where(w => w <= batch).ToArray();
            text.AppendLine(string.Join("; ", ShardCounts.Select(s => $"S={s}: adding workers stops paying (< 10% per doubling) past {model.Saturation(batch, s, counts)}")));
            return text.ToString();
        }
        foreach (var link in links)
        {
            // loopback's cost stays (messaging, the CPU moving the bytes); the wire and the round trips add
            text.AppendLine($"projected samples/s at batch {batch} over {NetworkUnits.FormatRate(link.BitsPerSecond)} links, round trip {link.RoundTripMs:0.###} ms " +
                            "(one worker per host; shards beside workers; - : more shards than hosts):");
            text.AppendLine($"{"workers",9}" + string.Concat(ShardCounts.Select(s => $"{$"S={s}",12}")));
            foreach (var workers in WorkerCounts.Where(w => w <= batch))
                text.AppendLine($"{workers,9}" + string.Concat(ShardCounts.Select(s => s > workers ? $"{"-",12}" : $"{model.SamplesPerSecond(batch, workers, s, link),12:N0}")));
        }
        return text.ToString();
    }
}
