using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>
/// A parameter-server shard: the same reduction tree and update rule as the unsharded server, on a
/// range of the vector. Tree additions and the update are element-wise, and LARS's norms are summed
/// from the same chunk partials, so the weights are bit-identical for any number of shards.
/// </summary>
[SpreadPlacement]
public sealed class ParameterShardGrain : Grain, IParameterShardGrain
{
    private State? _state;

    public Task Load(ShardSetup setup, FloatVector weights, FloatVector? velocity)
    {
        var network = new Network(ReferenceTrainer.SpecFor(setup.Options, setup.Features, setup.Classes));
        var plan = new ShardPlan(network.ParameterCount, setup.Shards);
        var (start, length) = plan.Range(setup.Shard);
        if (weights.Values.Length != length)
            throw new InvalidOperationException($"shard {setup.Shard} of job {setup.Job} holds {length} parameters, was sent {weights.Values.Length}");
        var parts = plan.Tensors(setup.Shard, network.Tensors);
        var optimiser = setup.Options.Optimizer == Optimizer.Lars
            ? new LarsOptimizer(setup.Options.Sgd, setup.Options.TrustCoefficient, parts.Select(p => p.Part).ToArray(), length, start)
            : Optimizer.For(setup.Options, parts.Select(p => p.Part).ToArray(), length);
        velocity?.Values.CopyTo(optimiser.Velocity, 0);
        _state = new State(setup, (float[])weights.Values.Clone(), optimiser, parts.Select(p => p.Tensor).ToArray(),
            new float[setup.Partitions][], StepUpdate.Scratch(setup.Partitions, length), new float[length]);
        return Task.CompletedTask;
    }

    public Task<FloatVector> Weights() => Task.FromResult(new FloatVector(Current().Weights)); // not changed until every worker has pulled and pushed

    public Task<FloatVector?> Velocity()
    {
        var velocity = Current().Optimiser.Velocity;
        return Task.FromResult(velocity.Length == 0 ? null : new FloatVector((float[])velocity.Clone()));
    }

    public Task Push(long step, BlockSum[] blocks)
    {
        var state = Current();
        if (state.Step != step) (state.Step, state.Slots) = (step, new float[state.Setup.Partitions][]);
        foreach (var block in blocks) state.Slots[block.Start] = block.Sum.Values;
        return Task.CompletedTask;
    }

    public Task<ShardReduced> Reduce(long step, int rows)
    {
        var state = Current();
        if (state.Step != step) throw new InvalidOperationException($"shard {state.Setup.Shard}: no block sums pushed for step {step}");
        var total = GradientSums.CompleteTree(state.Slots, state.Scratch);
        var finite = GradientSums.ToMean(total, rows, state.Mean);
        var norms = state.Optimiser is LarsOptimizer lars
            ? lars.NormPartials(state.Weights, state.Mean).Select((p, i) => new TensorNormPartials(state.TensorIndex[i], p.Weight, p.Gradient)).ToArray()
            : [];
        return Task.FromResult(new ShardReduced(finite, System.Numerics.Tensors.TensorPrimitives.SumOfSquares(state.Mean), norms));
    }

    public Task Update(long step, double learningRate, double[]? trustRatios)
    {
        var state = Current();
        if (state.Step != step) throw new InvalidOperationException($"shard {state.Setup.Shard}: step {step} was not reduced here");
        if (state.Optimiser is LarsOptimizer lars)
            lars.Apply(state.Weights, state.Mean, learningRate, state.TensorIndex.Select(t => trustRatios![t]).ToArray());
        else
            state.Optimiser.Step(state.Weights, state.Mean, learningRate);
        state.Slots = new float[state.Setup.Partitions][];
        state.Step = -1;
        return Task.CompletedTask;
    }

    public Task Release()
    {
        _state = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private State Current() => _state ?? throw new InvalidOperationException($"parameter shard {this.GetPrimaryKeyString()} holds no job: it was not loaded, or its silo restarted");

    private sealed class State(ShardSetup setup, float[] weights, Optimizer optimiser, int[] tensorIndex, float[]?[] slots, float[][] scratch, float[] mean)
    {
        public ShardSetup Setup { get; } = setup;
        public float[] Weights { get; } = weights;
        public Optimizer Optimiser { get; } = optimiser;
        /// <summary>For each tensor part the optimiser sees, the index of its whole tensor.</summary>
        public int[] TensorIndex { get; } = tensorIndex;
        public float[]?[] Slots { get; set; } = slots;
        public float[][] Scratch { get; } = scratch;
        public float[] Mean { get; } = mean;
        public long Step { get; set; } = -1;
    }
}
