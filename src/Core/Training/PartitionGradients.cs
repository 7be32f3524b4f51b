using System.Diagnostics;
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
/// <c>Bfloat16</c>: every block value is exactly a bfloat16 (<c>--wire bf16</c>), so the wire sends 16 bits of each.
/// </summary>
public sealed record StepSums(int FirstPartition, IReadOnlyList<(int Start, float[] Sum)> Blocks, double[] Losses, double[] SquaredNorms, int Rows, double ComputeSeconds,
    bool Bfloat16 = false)
{
    /// <summary>The same without its vectors.</summary>
    public StepSums WithoutBlocks() => this with { Blocks = [] };
}

/// <summary>
/// Computes one step's gradient over a contiguous range of partitions in one pass: every partition's
/// micro-batch is gathered and backpropagated on its own workspace (side by side on up to
/// <c>threads</c> threads), then the parameters' gradients of all of them are summed at once, per
/// aligned block of the range along the fixed tree (<see cref="Network.ParameterGradients"/>). The
/// reference trainer uses it for all partitions; a worker grain for the range it owns. Returned
/// buffers are reused by the next call.
/// </summary>
public sealed class PartitionGradients
{
    private readonly Network _network;
    private readonly IKernel _kernel;
    private readonly Dataset _data;
    private readonly PartitionPlan _plan;
    private readonly int _first, _count;
    private readonly Workspace[] _workspaces;
    private readonly float[][] _own;
    private readonly IReadOnlyList<(int Start, int Count)> _blocks, _localBlocks;
    private readonly float[][] _blockSums;
    private readonly int _threads;
    private readonly ParallelOptions _parallel;

    public PartitionGradients(Network network, IKernel kernel, Dataset data, PartitionPlan plan, int firstPartition, int partitionCount, int threads)
    {
        _network = network; _kernel = kernel; _data = data; _plan = plan;
        _first = firstPartition; _count = partitionCount;
        _workspaces = new Workspace[partitionCount];
        _own = new float[partitionCount][];
        for (var i = 0; i < partitionCount; i++)
        {
            _workspaces[i] = network.CreateWorkspace(plan.MicroBatch[firstPartition + i]);
            _own[i] = new float[network.OwnGradientLength];
        }
        _blocks = GradientSums.AlignedBlocks(firstPartition, partitionCount);
        _localBlocks = _blocks.Select(b => (b.Start - firstPartition, b.Count)).ToArray();
        _blockSums = _blocks.Select(_ => new float[network.ParameterCount]).ToArray();
        _threads = Math.Max(1, threads);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = _threads };
    }

    public int FirstPartition => _first;
    public PartitionPlan Plan => _plan;
    public int PartitionCount => _count;

    /// <summary>The range's block sums, per-partition losses and row count for one step.</summary>
    /// <param name="epochOrders">Epoch orders indexed by absolute partition (only this range's are read).</param>
    /// <param name="epoch">The epoch (1-based) and <paramref name="step"/> its step, which with the rows' indices fix dropout's masks.</param>
    public StepSums Compute(float[] weights, int[][] epochOrders, int epoch, int step)
    {
        var clock = Stopwatch.StartNew();
        var losses = new double[_count];
        var rows = new int[_count];
        if (_count == 1 || _threads == 1)
            for (var i = 0; i < _count; i++) Backpropagate(weights, epochOrders, epoch, step, i, losses, rows);
        else
            Parallel.For(0, _count, _parallel, i => Backpropagate(weights, epochOrders, epoch, step, i, losses, rows));

        var norms = new double[_count];
        var passes = Enumerable.Range(0, _count).Select(i => new Network.PartitionPass(_workspaces[i], _workspaces[i].BatchX, rows[i], _own[i])).ToArray();
        _network.ParameterGradients(passes, _localBlocks, _blockSums, norms, _threads);
        // each partition's squared norm of its micro-batch mean gradient, for the gradient noise scale
        for (var i = 0; i < _count; i++) norms[i] = rows[i] == 0 ? 0 : norms[i] / ((double)rows[i] * rows[i]);

        var blocks = _blocks.Select((b, i) => (b.Start, _blockSums[i])).ToArray();
        return new StepSums(_first, blocks, losses, norms, rows.Sum(), clock.Elapsed.TotalSeconds);
    }

    private void Backpropagate(float[] weights, int[][] epochOrders, int epoch, int step, int i, double[] losses, int[] rowCounts)
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
        losses[i] = _network.Backpropagate(_kernel, weights, ws.BatchX, ws.BatchY, rows.Length, ws, _own[i], new DropoutRows(_plan.Seed, epoch, step, rows));
        rowCounts[i] = rows.Length;
    }
}
