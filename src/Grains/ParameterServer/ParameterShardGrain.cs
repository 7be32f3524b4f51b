using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// A parameter-server shard: the same reduction tree (<see cref="GradientTree"/>) and update rule as
/// the unsharded server, on a range of the vector. Tree additions and the update are element-wise,
/// and LARS's norms are summed from the same chunk partials, so the weights are bit-identical for
/// any number of shards.
/// </summary>
[SpreadPlacement]
public sealed class ParameterShardGrain : Grain, IParameterShardGrain
{
    private State? _state;

    public Task Load(ShardSetup setup, FloatVector weights, FloatVector? velocity)
    {
        var network = new Network(ReferenceTrainer.SpecFor(setup.Options, setup.Features, setup.Classes, imageShape: setup.ImageShape));
        var plan = new ShardPlan(network.ParameterCount, setup.Shards);
        var (start, length) = plan.Range(setup.Shard);
        if (weights.Values.Length != length)
            throw new ArgumentException($"shard {setup.Shard} of job {setup.Job} holds {length} parameters, was sent {weights.Values.Length}");
        var parts = plan.Tensors(setup.Shard, network.Tensors);
        var optimiser = Optimizer.For(setup.Options, parts.Select(p => p.Part).ToArray(), length, velocity?.Values.ToArray(), origin: start);
        _state = new State(setup, (float[])weights.Values.Clone(), optimiser, parts.Select(p => p.Tensor).ToArray(), new GradientTree(setup.Partitions), new float[length]);
        return Task.CompletedTask;
    }

    public Task<FloatVector> Weights() => Task.FromResult(new FloatVector(Current().Weights)); // not changed until every worker has pulled and pushed

    public Task<FloatVector?> Velocity()
    {
        var velocity = Current().Optimiser.Velocity;
        return Task.FromResult(velocity.Length == 0 ? null : new FloatVector((float[])velocity.Clone()));
    }

    public Task Push(long step, StepSums slice)
    {
        var state = Current();
        if (state.Step != step)
        {
            state.Step = step;
            state.Tree.Clear();
        }
        state.Tree.Add(slice);
        return Task.CompletedTask;
    }

    public Task<ShardReduced> Reduce(long step, int rows)
    {
        var state = Current();
        if (state.Step != step) throw new ResumeRequiredException($"shard {state.Setup.Shard}: no block sums pushed for step {step}");
        var finite = state.Tree.Mean(rows, state.Mean);
        var norms = state.Optimiser is LarsOptimizer lars
            ? lars.NormPartials(state.Weights, state.Mean).Select((p, i) => new TensorNormPartials(state.TensorIndex[i], p.Weight, p.Gradient)).ToArray()
            : [];
        return Task.FromResult(new ShardReduced(finite, System.Numerics.Tensors.TensorPrimitives.SumOfSquares(state.Mean), norms));
    }

    public Task Update(long step, double learningRate, double[]? trustRatios)
    {
        var state = Current();
        if (state.Step != step) throw new ResumeRequiredException($"shard {state.Setup.Shard}: step {step} was not reduced here");
        if (state.Optimiser is LarsOptimizer lars)
            lars.Apply(state.Weights, state.Mean, learningRate, state.TensorIndex.Select(t => trustRatios![t]).ToArray());
        else
            state.Optimiser.Step(state.Weights, state.Mean, learningRate);
        state.Step = -1;
        return Task.CompletedTask;
    }

    public Task Release()
    {
        _state = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>A shard without its range (its silo restarted, or it was never loaded): the server must resume and load it again.</summary>
    private State Current() => _state ?? throw new ResumeRequiredException($"parameter shard {this.GetPrimaryKeyString()} holds no job: it was not loaded, or its silo restarted");

    private sealed class State(ShardSetup setup, float[] weights, Optimizer optimiser, int[] tensorIndex, GradientTree tree, float[] mean)
    {
        public ShardSetup Setup { get; } = setup;
        public float[] Weights { get; } = weights;
        public Optimizer Optimiser { get; } = optimiser;
        /// <summary>For each tensor part the optimiser sees, the index of its whole tensor.</summary>
        public int[] TensorIndex { get; } = tensorIndex;
        public GradientTree Tree { get; } = tree;
        public float[] Mean { get; } = mean;
        /// <summary>The step whose block sums the tree holds; −1 once it is applied.</summary>
        public long Step { get; set; } = -1;
    }
}
