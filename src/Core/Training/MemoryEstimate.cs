using System.Globalization;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// What a job will allocate in one process, item by item, before anything is allocated: parameter
/// vectors (weights, optimiser state, the mean gradient, per-partition gradient sums and the
/// reduction tree's scratch, copies on the wire and for early stopping) and the batch buffers. A job
/// that would not fit is refused with the estimate and what the machine has, instead of starting and
/// then exhausting memory.
/// </summary>
public sealed class MemoryEstimate
{
    private readonly List<(string Item, long Bytes)> _items = [];

    public IReadOnlyList<(string Item, long Bytes)> Items => _items;
    public long Bytes => _items.Sum(i => i.Bytes);

    /// <summary>Adds <paramref name="count"/> parameter vectors of <paramref name="parameters"/> floats.</summary>
    public MemoryEstimate Vectors(string item, long count, long parameters) => Add(item, count * parameters * sizeof(float));

    public MemoryEstimate Add(string item, long bytes)
    {
        if (bytes > 0) _items.Add((item, bytes));
        return this;
    }

    public MemoryEstimate Add(MemoryEstimate other)
    {
        foreach (var (item, bytes) in other._items) Add(item, bytes);
        return this;
    }

    /// <summary>
    /// The gradient work of partitions computed in one place: a sum per aligned block (as many as a
    /// range from partition 0 has), a batch workspace and the convolutions' own gradients per partition,
    /// and the evaluation workspaces.
    /// </summary>
    public static MemoryEstimate Partitions(ModelSpec spec, long parameters, int partitions, int microBatch, int threads) =>
        new MemoryEstimate()
            .Vectors("gradient block sums", GradientSums.AlignedBlocks(0, partitions).Count, parameters)
            .Add("batch buffers", (long)partitions * (Network.WorkspaceFloats(spec, microBatch) + Network.OwnGradientFloats(spec)) * sizeof(float)
                                  + (long)Math.Max(1, threads) * Network.WorkspaceFloats(spec, Evaluator.ChunkRows) * sizeof(float));

    /// <summary>
    /// The single-process trainer: weights, velocity, mean gradient, every partition's sums and batch
    /// buffers, the tree's scratch, the best weights and the copies the loop takes.
    /// </summary>
    public static MemoryEstimate Local(ModelSpec spec, TrainOptions options, int microBatch)
    {
        var parameters = Network.CountParameters(spec);
        return new MemoryEstimate()
            .Vectors("weights, mean gradient and copies", 4, parameters)
            .Vectors("optimiser state", Optim.Optimizer.HasVelocity(options) ? 1 : 0, parameters)
            .Add(Partitions(spec, parameters, options.Partitions, microBatch, options.Threads));
    }

    /// <summary>
    /// The parameter server: weights, velocity, mean gradient, the tree's scratch (unsharded), the
    /// workers' block sums as they arrive, the best weights, and a checkpoint being serialised.
    /// </summary>
    public static MemoryEstimate Server(TrainOptions options, long parameters, int blocks, bool sharded) =>
        new MemoryEstimate()
            .Vectors("server weights, mean gradient and best weights", 3, parameters)
            .Vectors("optimiser state", Optim.Optimizer.HasVelocity(options) ? 1 : 0, parameters)
            .Vectors("reduction scratch", sharded ? 0 : Math.Max(0, blocks - 1), parameters)
            .Vectors("incoming gradient sums", blocks, parameters)
            .Vectors("checkpoint", 3, parameters);

    /// <summary>A worker: its partitions' work and the weights it is sent.</summary>
    public static MemoryEstimate Worker(ModelSpec spec, long parameters, int partitions, int microBatch, int threads) =>
        new MemoryEstimate().Vectors("worker weights", 1, parameters).Add(Partitions(spec, parameters, partitions, microBatch, threads));

    /// <summary>
    /// A worker's own state beyond its gradients: a bf16 residual per block it sends (--wire bf16), and
    /// local SGD's optimiser (velocity, mean gradient, the tree's scratch) with its local weights.
    /// </summary>
    public static MemoryEstimate WorkerState(TrainOptions options, long parameters, int blocks, bool bfloat16Wire, bool localSgd) =>
        new MemoryEstimate()
            .Vectors("bf16 error-feedback residuals", bfloat16Wire ? blocks : 0, parameters)
            .Vectors("local optimiser and weights", localSgd ? 2 + (Optim.Optimizer.HasVelocity(options) ? 1 : 0) + Math.Max(0, blocks - 1) : 0, parameters);

    /// <summary>Throws a one-line user error when the estimate exceeds what this machine has available.</summary>
    /// <param name="where">Where the job would run, for the message ("in this process", "on silo …").</param>
    /// <param name="has">What has <paramref name="availableBytes"/>, for the message: the machine, or a silo's limit.</param>
    public void EnsureFits(string where, long availableBytes, string has = "this machine has")
    {
        if (Bytes <= availableBytes) return;
        var largest = _items.GroupBy(i => i.Item).Select(g => (Item: g.Key, Bytes: g.Sum(i => i.Bytes))).OrderByDescending(i => i.Bytes).Take(3);
        throw new UserInputException(
            $"the job needs about {Format(Bytes)} of memory {where} ({string.Join(", ", largest.Select(i => $"{i.Item} {Format(i.Bytes)}"))}), " +
            $"and {has} {Format(Math.Max(0, availableBytes))} available; use a smaller model, fewer --partitions or more silos");
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KB",
    };
}

/// <summary>How much memory this process can still allocate: the smaller of the machine's available memory and its own limit's room.</summary>
public static class MachineMemory
{
    public static long AvailableBytes()
    {
        var gc = GC.GetGCMemoryInfo();
        var room = gc.TotalAvailableMemoryBytes - Environment.WorkingSet; // the cgroup limit, or the machine, less what this process holds
        return MemAvailable() is { } available ? Math.Min(available, room) : room;
    }

    /// <summary>Linux's estimate of memory available for new allocations without swapping (/proc/meminfo MemAvailable).</summary>
    private static long? MemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }
}
