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
/// any number of shards. With SGD it applies a step as soon as the pushed slices cover every
/// partition, and answers the workers' pulls of the next step's weights then; it keeps the weights
/// before that step too, for a worker that computes the step again (its first answer was lost).
/// </summary>
[SpreadPlacement]
public sealed class ParameterShardGrain(ILocalSiloDetails silo) : Grain, IParameterShardGrain
{
    private State? _state;

    public Task<SiloAddress> Load(ShardSetup setup, FloatVector weights, FloatVector? velocity)
    {
        var network = new Network(ReferenceTrainer.SpecFor(setup.Options, setup.Features, setup.Classes, imageShape: setup.ImageShape));
        var plan = new ShardPlan(network.ParameterCount, setup.Shards);
        var (start, length) = plan.Range(setup.Shard);
        if (weights.Values.Length != length)
            throw new ArgumentException($"shard {setup.Shard} of job {setup.Job} holds {length} parameters, was sent {weights.Values.Length}");
        var parts = plan.Tensors(setup.Shard, network.Tensors);
        var optimiser = Optimizer.For(setup.Options, parts.Select(p => p.Part).ToArray(), length, velocity?.Values.ToArray(), origin: start);
        var options = setup.Options;
        var schedule = new LearningRateSchedule(options.Schedule, options.ScaledLearningRate, options.Epochs, Math.Max(1, setup.StepsPerEpoch), options.WarmupEpochs);
        _state?.Cancel();
        _state = new State(setup, (float[])weights.Values.Clone(), optimiser, parts.Select(p => p.Tensor).ToArray(), new GradientTree(setup.Partitions), new float[length], schedule)
        {
            Version = setup.Step,
        };
        return Task.FromResult(silo.SiloAddress);
    }

    public Task<FloatVector> Weights() => Task.FromResult(new FloatVector(Current().Weights)); // not changed until every worker has pulled and pushed

    public async Task<FloatVector> WeightsFor(long step, SiloAddress? reader)
    {
        var state = Current();
        if (step > state.Version) await state.VersionReached(step);
        state = Current(); // a resume may have loaded the shard again meanwhile
        var values = step == state.Version ? state.Weights
            : step == state.Version - 1 && state.Previous is { } previous ? previous
            : throw new ResumeRequiredException($"shard {state.Setup.Shard}: asked for the weights of step {step}, holds step {state.Version}");
        return new FloatVector(values) { InProcess = ProcessVectors.IsHere(reader) }; // neither array changes until every worker has pushed the next step
    }

    public Task<FloatVector?> Velocity()
    {
        var velocity = Current().Optimiser.Velocity;
        return Task.FromResult(velocity.Length == 0 ? null : new FloatVector((float[])velocity.Clone()));
    }

    public Task Push(long step, StepSums slice)
    {
        var state = Current();
        if (step < state.Version) return Task.CompletedTask; // a step computed again after it was applied: the same sums, nothing to do
        if (state.Step != step)
        {
            state.Step = step;
            state.Tree.Clear();
            state.Covered.Clear();
        }
        state.Tree.Add(slice);
        state.Covered[slice.FirstPartition] = (slice.Losses.Length, slice.Rows);
        if (state.Optimiser.ElementWise && state.Covered.Values.Sum(c => c.Partitions) == state.Setup.Partitions) Apply(state, step);
        return Task.CompletedTask;
    }

    /// <summary>The step's slices cover every partition: its part of the tree, the mean, the update; the next step's pulls are answered.</summary>
    private static void Apply(State state, long step)
    {
        var rows = state.Covered.Values.Sum(c => c.Rows);
        var finite = state.Tree.Mean(rows, state.Mean);
        var squares = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(state.Mean);
        state.Previous ??= new float[state.Weights.Length];
        state.Weights.CopyTo(state.Previous, 0);
        if (finite) state.Optimiser.Step(state.Weights, state.Mean, state.Schedule.At(step)); // a step that is not finite fails the job: the weights stay
        state.Step = -1;
        state.Reached(step, new ShardReduced(finite, squares, []));
    }

    public async Task<ShardReduced> Applied(long step)
    {
        var state = Current();
        if (state.Outcome(step) is { } known) return known;
        if (step != state.Version) throw new ResumeRequiredException($"shard {state.Setup.Shard}: step {step} was not pushed here (it holds step {state.Version})");
        await state.VersionReached(step + 1);
        return Current().Outcome(step) ?? throw new ResumeRequiredException($"shard {state.Setup.Shard}: step {step} was not applied here");
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
        state.Reached(step, null);
        return Task.CompletedTask;
    }

    public Task Release()
    {
        _state?.Cancel();
        _state = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>A shard without its range (its silo restarted, or it was never loaded): the server must resume and load it again.</summary>
    private State Current() => _state ?? throw new ResumeRequiredException($"parameter shard {this.GetPrimaryKeyString()} holds no job: it was not loaded, or its silo restarted");

    private sealed class State(ShardSetup setup, float[] weights, Optimizer optimiser, int[] tensorIndex, GradientTree tree, float[] mean, LearningRateSchedule schedule)
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private (long Step, ShardReduced? Outcome) _last = (-1, null);

        public ShardSetup Setup { get; } = setup;
        public float[] Weights { get; } = weights;
        /// <summary>The weights before the last applied step (null before the first).</summary>
        public float[]? Previous { get; set; }
        public Optimizer Optimiser { get; } = optimiser;
        public LearningRateSchedule Schedule { get; } = schedule;
        /// <summary>For each tensor part the optimiser sees, the index of its whole tensor.</summary>
        public int[] TensorIndex { get; } = tensorIndex;
        public GradientTree Tree { get; } = tree;
        public float[] Mean { get; } = mean;
        /// <summary>The step whose block sums the tree holds; −1 once it is applied.</summary>
        public long Step { get; set; } = -1;
        /// <summary>The pushed workers' first partitions, with their partition and row counts.</summary>
        public Dictionary<int, (int Partitions, int Rows)> Covered { get; } = [];
        /// <summary>The global step the weights are ready to compute.</summary>
        public long Version { get; set; }

        public ShardReduced? Outcome(long step) => _last.Step == step ? _last.Outcome : null;

        /// <summary>Step <paramref name="step"/> is applied: the weights are those of the next; pulls waiting for it are answered.</summary>
        public void Reached(long step, ShardReduced? outcome)
        {
            _last = (step, outcome);
            Version = step + 1;
            var (done, next) = (_next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _next = next;
            done.TrySetResult();
        }

        public async Task VersionReached(long step)
        {
            while (Version < step) await _next.Task;
        }

        /// <summary>The shard is released or loaded again: pulls still waiting must not wait for ever.</summary>
        public void Cancel() => _next.TrySetException(new ResumeRequiredException($"shard {Setup.Shard} of job {Setup.Job} was released or loaded again"));
    }
}
