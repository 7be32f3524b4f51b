using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// Computes one step's gradient over a block of partitions: each partition's micro-batch is
/// gathered and its gradient sum computed on its own buffer (partitions side by side on up to
/// <c>threads</c> threads), then the block is reduced along the fixed tree. The reference trainer
/// uses it for all partitions; a worker uses it for the block it owns.
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
    private readonly double[] _losses;
    private readonly int[] _rows;
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
        _losses = new double[partitionCount];
        _rows = new int[partitionCount];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
    }

    /// <summary>The block's gradient sum (valid until the next call), loss sum and row count for one step.</summary>
    public (float[] GradientSum, double LossSum, int Rows) Compute(float[] weights, int[][] epochOrders, int step)
    {
        if (_count == 1 || _parallel.MaxDegreeOfParallelism == 1)
            for (var i = 0; i < _count; i++) ComputeOne(weights, epochOrders, step, i);
        else
            Parallel.For(0, _count, _parallel, i => ComputeOne(weights, epochOrders, step, i));

        GradientSums.TreeReduce(_sums, _count);
        double loss = 0;
        var rows = 0;
        for (var i = 0; i < _count; i++) { loss += _losses[i]; rows += _rows[i]; }
        return (_sums[0], loss, rows);
    }

    private void ComputeOne(float[] weights, int[][] epochOrders, int step, int i)
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
        _losses[i] = _network.Gradient(_kernel, weights, ws.BatchX, ws.BatchY, rows.Length, _sums[i], ws);
        _rows[i] = rows.Length;
    }
}
