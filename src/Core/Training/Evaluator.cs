using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>Scores a data set in fixed chunks, threads side by side, sums combined in chunk order (deterministic).</summary>
public static class Evaluator
{
    private const int Chunk = 512;

    public static MetricSums Sums(Network network, IKernel kernel, float[] weights, Dataset data, int threads)
    {
        var chunks = (data.Count + Chunk - 1) / Chunk;
        var perChunk = new MetricSums[chunks];
        var groups = Math.Clamp(threads, 1, Math.Max(1, chunks));
        Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = groups }, g =>
        {
            var ws = network.CreateWorkspace(Math.Min(Chunk, data.Count));
            for (var c = g; c < chunks; c += groups)
            {
                var start = c * Chunk;
                var rows = Math.Min(Chunk, data.Count - start);
                var sums = new MetricSums();
                network.Score(kernel, weights, data.X.AsSpan(start * data.Features, rows * data.Features), data.Y.AsSpan(start, rows), rows, ws, ref sums);
                perChunk[c] = sums;
            }
        });
        var total = new MetricSums();
        foreach (var sums in perChunk) total = total.Plus(sums);
        return total;
    }

    public static Metrics Evaluate(Network network, IKernel kernel, float[] weights, Dataset data, int threads) =>
        Sums(network, kernel, weights, data, threads).ToMetrics(network.Spec.IsRegression);
}
