using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Scores a data set in fixed chunks of 512 rows whose sums are combined in chunk order, so a data
/// set scored in one process and one scored in shards by several workers give identical metrics.
/// </summary>
public static class Evaluator
{
    public const int ChunkRows = 512;

    public static int Chunks(int rows) => (rows + ChunkRows - 1) / ChunkRows;

    /// <summary>The contiguous chunks that shard <paramref name="part"/> of <paramref name="parts"/> scores.</summary>
    public static (int First, int Count) ChunkRange(int rows, int part, int parts)
    {
        var chunks = Chunks(rows);
        var first = (int)((long)chunks * part / parts);
        var end = (int)((long)chunks * (part + 1) / parts);
        return (first, end - first);
    }

    /// <summary>One MetricSums per chunk in [firstChunk, firstChunk + chunkCount), threads side by side.</summary>
    public static MetricSums[] ChunkSums(Network network, IKernel kernel, float[] weights, Dataset data, int firstChunk, int chunkCount, int threads)
    {
        var perChunk = new MetricSums[chunkCount];
        if (chunkCount == 0) return perChunk;
        var groups = Math.Clamp(threads, 1, chunkCount);
        Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = groups }, g =>
        {
            var ws = network.CreateWorkspace(Math.Min(ChunkRows, data.Count));
            for (var c = g; c < chunkCount; c += groups)
            {
                var start = (firstChunk + c) * ChunkRows;
                var rows = Math.Min(ChunkRows, data.Count - start);
                var sums = new MetricSums();
                network.Score(kernel, weights, data.X.AsSpan(start * data.Features, rows * data.Features), data.Y.AsSpan(start, rows), rows, ws, ref sums);
                perChunk[c] = sums;
            }
        });
        return perChunk;
    }

    /// <summary>Adds chunk sums in the order given (chunk order).</summary>
    public static MetricSums Combine(IEnumerable<MetricSums> chunksInOrder)
    {
        var total = new MetricSums();
        foreach (var sums in chunksInOrder) total = total.Plus(sums);
        return total;
    }

    /// <summary>The metric sums of a whole data set.</summary>
    public static MetricSums Sums(Network network, IKernel kernel, float[] weights, Dataset data, int threads) =>
        Combine(ChunkSums(network, kernel, weights, data, 0, Chunks(data.Count), threads));

    public static Metrics Evaluate(Network network, IKernel kernel, float[] weights, Dataset data, int threads) =>
        Sums(network, kernel, weights, data, threads).ToMetrics(network.Spec.IsRegression);
}
