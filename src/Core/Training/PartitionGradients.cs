using System.Diagnostics;
using System.Numerics.Tensors;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Models.Layers;

namespace Trainer.Core.Training;

/// <summary>
/// One step's gradient over a range of partitions from <c>FirstPartition</c>: a sum per aligned
/// block, a loss per partition, and per partition the squared norm of its micro-batch mean gradient
/// (for the gradient noise scale). A worker sends it to the parameter server as it is (its sums as
/// raw float32 blocks); with a sharded server the blocks go to the shards and travel empty here.
/// </summary>
public sealed record StepSums(int FirstPartition, IReadOnlyList<(int Start, float[] Sum)> Blocks, double[] Losses, double[] SquaredNorms, int Rows, double ComputeSeconds)
{
    /// <summary>The same without its vectors.</summary>
    public StepSums WithoutBlocks() => this with { Blocks = [] };
}

/// <summary>
/// Computes one step's gradient over a contiguous range of partitions: each partition's micro-batch
/// is gathered and its gradient sum computed on its own buffer (partitions side by side on up to
/// <c>threads</c> threads), then each aligned block of the range is reduced along the fixed tree.
/// The reference trainer uses it for all partitions; a worker grain for the range it owns.
/// Returned buffers are reused by the next call.
/// </summary>
public sealed class PartitionGradients
{
    private readonly Network _network;
    private readonly IKernel _kernel;
    private readonly Dataset _data;
    private readonly PartitionPlan _plan;
    private readonly int _first, _count;
    private readonly float[][] _sums;
    private readonly Workspace[] _workspaces;
    private readonly IReadOnlyList<(int Start, int Count)> _blocks;
    private readonly ParallelOptions _parallel;

    public PartitionGradients(Network network, IKernel kernel, Dataset data, PartitionPlan plan, int firstPartition, int partitionCount, int threads)
    {
        _network = network; _kernel = kernel; _data = data; _plan = plan;
        _first = firstPartition; _count = partitionCount;
        _sums = new float[partitionCount][];
        _workspaces = new Workspace[partitionCount];
        for (var i = 0; i < partitionCount; i++)
        {
            _sums[i] = new float[network.ParameterCount];
            _workspaces[i] = network.CreateWorkspace(plan.MicroBatch[firstPartition + i]);
        }
        _blocks = GradientSums.AlignedBlocks(firstPartition, partitionCount);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
    }

    public int FirstPartition => _first;
    public int PartitionCount => _count;

    /// <summary>The range's block sums, per-partition losses and row count for one step.</summary>
    /// <param name="epochOrders">Epoch orders indexed by absolute partition (only this range's are read).</param>
    /// <param name="epoch">The epoch (1-based) and <paramref name="step"/> its step, which with the rows' indices fix dropout's masks.</param>
    public StepSums Compute(float[] weights, int[][] epochOrders, int epoch, int step)
    {
        var clock = Stopwatch.StartNew();
        var losses = new double[_count];
        var norms = new double[_count];
        var rows = new int[_count];
        if (_count == 1 || _parallel.MaxDegreeOfParallelism == 1)
            for (var i = 0; i < _count; i++) ComputeOne(weights, epochOrders, epoch, step, i, losses, norms, rows);
        else
            Parallel.For(0, _count, _parallel, i => ComputeOne(weights, epochOrders, epoch, step, i, losses, norms, rows));

        var blocks = new (int, float[])[_blocks.Count];
        for (var b = 0; b < _blocks.Count; b++)
        {
            var (start, size) = _blocks[b];
            var members = new ArraySegment<float[]>(_sums, start - _first, size);
            GradientSums.TreeReduce(members, size);
            blocks[b] = (start, members[0]);
        }
        return new StepSums(_first, blocks, losses, norms, rows.Sum(), clock.Elapsed.TotalSeconds);
    }

    private void ComputeOne(float[] weights, int[][] epochOrders, int epoch, int step, int i, double[] losses, double[] squaredNorms, int[] rowCounts)
    {
        var partition = _first + i;
        var rows = _plan.MicroBatchRows(epochOrders[partition], partition, step);
        var ws = _workspaces[i];
        var features = _data.Features;
        for (var r = 0; r < rows.Length; r++)
        {
            _data.Row(rows[r]).CopyTo(ws.BatchX.AsSpan(r * features, features));
            ws.BatchY[r] = _data.Y[rows[r]];
        }
        losses[i] = _network.Gradient(_kernel, weights, ws.BatchX, ws.BatchY, rows.Length, _sums[i], ws, new DropoutRows(_plan.Seed, epoch, step, rows));
        rowCounts[i] = rows.Length;
        // before the tree adds other partitions into this buffer; a pass over it costs far less than the gradient
        squaredNorms[i] = rows.Length == 0 ? 0 : TensorPrimitives.SumOfSquares(_sums[i]) / ((double)rows.Length * rows.Length);
    }
}
