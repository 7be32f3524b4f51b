using System.Numerics.Tensors;
using Trainer.Core.Models;
using Trainer.Core.Optim;

namespace Trainer.Core.Training;

/// <summary>What an update keeps from step to step, and what a checkpoint keeps of it.</summary>
public sealed class UpdateState
{
    /// <summary>The global step (0-based): the learning-rate schedule's clock.</summary>
    public long Step { get; set; }
    /// <summary>The optimiser's velocity (empty without momentum), updated in place.</summary>
    public float[] Velocity { get; set; } = [];
    /// <summary>The divergence guard's reference: the mean loss of the job's first step.</summary>
    public double? FirstMeanLoss { get; set; }
    /// <summary>The gradient noise scale's running averages.</summary>
    public NoiseScaleState Noise { get; set; } = NoiseScaleState.Empty;
}

/// <summary>
/// The update half of a step, the same object in the reference trainer and the parameter server so
/// both do exactly the same arithmetic: complete the reduction tree over the partitions' block sums,
/// divide by the step's rows, guard against divergence, apply the optimiser at the schedule's rate,
/// and tell the noise-scale estimator the step's two gradient sizes. It owns its scratch, optimiser,
/// schedule, guard and estimator; its <see cref="State"/> is all a checkpoint needs of it.
/// </summary>
public sealed class Update
{
    private readonly Optimizer _optimiser;
    private readonly TrainOptions _options;
    private LearningRateSchedule _schedule;
    /// <summary>--batch auto: the epoch's clock (the schedule in that epoch's steps) and its AdaScale gain.</summary>
    private (long Base, long Start, double Gain)? _epochClock;
    private readonly DivergenceGuard _guard;
    private readonly GradientTree _tree;
    private readonly float[] _mean;
    private readonly double[] _losses, _norms;
    private readonly VectorChunks _chunks;
    private readonly bool[] _finite;
    private readonly double[] _squares;

    /// <param name="state">A checkpoint's state to continue from; null: a new job.</param>
    /// <param name="threads">Threads for the element-wise work (the tree's additions, the mean, SGD): the same bits on any count.</param>
    public Update(Network network, TrainOptions options, int partitions, int stepsPerEpoch, UpdateState? state = null, int threads = 1)
    {
        _options = options;
        State = state ?? new UpdateState { Velocity = Optimizer.HasVelocity(options) ? new float[network.ParameterCount] : [] };
        _optimiser = Optimizer.For(options, network.Tensors, network.ParameterCount, State.Velocity);
        _schedule = new LearningRateSchedule(options.Schedule, options.ScaledLearningRate, options.Epochs, stepsPerEpoch, options.WarmupEpochs);
        _guard = new DivergenceGuard(network.Head, State);
        _tree = new GradientTree(partitions);
        _mean = new float[network.ParameterCount];
        _losses = new double[partitions];
        _norms = new double[partitions];
        _chunks = new VectorChunks(network.ParameterCount, threads);
        _finite = new bool[_chunks.Count];
        _squares = new double[_chunks.Count];
    }

    public UpdateState State { get; }
    public Optimizer Optimiser => _optimiser;
    public double LearningRate => RateAt(State.Step);
    /// <summary>The rate of the last step taken (what an epoch's report gives).</summary>
    public double LastLearningRate => RateAt(State.Step - 1);

    /// <summary>
    /// The rate at a global step. Under --batch auto (after <see cref="BeginEpoch"/>) the schedule runs
    /// on the epoch's own clock: step j of epoch e is step (e − 1)·S + j of a schedule of S steps per
    /// epoch, S this epoch's, so warm-up and decay follow epochs whatever the batch; times the epoch's gain.
    /// </summary>
    public double RateAt(long step) => _epochClock is { } clock ? _schedule.At(clock.Base + step - clock.Start) * clock.Gain : _schedule.At(step);

    /// <summary>--batch auto: epoch <paramref name="epoch"/> runs <paramref name="stepsPerEpoch"/> steps at the rate's <paramref name="gain"/>; <paramref name="stepInEpoch"/> of them are done (a resume).</summary>
    public void BeginEpoch(int epoch, int stepsPerEpoch, int stepInEpoch, double gain)
    {
        _schedule = new LearningRateSchedule(_options.Schedule, _options.ScaledLearningRate, _options.Epochs, stepsPerEpoch, _options.WarmupEpochs);
        _epochClock = ((long)(epoch - 1) * stepsPerEpoch, State.Step - stepInEpoch, gain);
    }
    public double? NoiseScale => State.Noise.Value;
    /// <summary>The norm of the last step's mean gradient.</summary>
    public double GradientNorm { get; private set; }

    /// <summary>
    /// One synchronous step from the block sums of all partitions (each worker's part); the step
    /// advances. Returns the step's loss sum, added in partition order.
    /// </summary>
    public double Apply(IReadOnlyList<StepSums> parts, float[] weights, int epoch)
    {
        var (loss, rows) = Collect(parts);
        _tree.Clear();
        foreach (var part in parts) _tree.Add(part);
        _tree.Prepare();
        var rate = RateAt(State.Step);
        _guard.CheckLoss(loss, rows, State.Step, epoch, rate);
        // the tree's additions, the mean and its squares, chunk by chunk on the update's threads; the sum in chunk order
        _chunks.ForEach((c, start, length) =>
        {
            _finite[c] = _tree.MeanOf(rows, _mean, start, length);
            _squares[c] = TensorPrimitives.SumOfSquares(_mean.AsSpan(start, length));
        });
        if (_finite.Contains(false)) throw DivergenceGuard.NonFiniteGradient(State.Step, epoch, rate);
        double squares = 0;
        foreach (var s in _squares) squares += s;
        if (_optimiser.ElementWise) _chunks.ForEach((_, start, length) => _optimiser.StepRange(weights, _mean, rate, start, length));
        else _optimiser.Step(weights, _mean, rate);
        GradientNorm = Math.Sqrt(squares);
        State.Noise = GradientNoiseScale.ObservePartitions(State.Noise, _norms, rows, squares);
        State.Step++;
        return loss;
    }

    /// <summary>
    /// One worker's gradient applied on arrival (async and SSP modes), at a step of the schedule the
    /// caller counts: its blocks added in partition order, divided by its rows. Returns its loss sum.
    /// </summary>
    public double ApplyArrival(StepSums part, float[] weights, long step, int epoch)
    {
        var loss = part.Losses.Sum();
        if (part.Rows == 0) return 0;
        Apply(loss, part.Rows, weights, epoch, step, () =>
        {
            part.Blocks[0].Sum.CopyTo(_mean, 0);
            foreach (var (_, sum) in part.Blocks.Skip(1)) TensorPrimitives.Add(_mean, sum, _mean);
            return GradientSums.ToMean(_mean, part.Rows, _mean);
        });
        var squares = TensorPrimitives.SumOfSquares(_mean);
        GradientNorm = Math.Sqrt(squares);
        // b: a micro-batch, B: this worker's rows
        State.Noise = GradientNoiseScale.ObservePartitions(State.Noise, part.SquaredNorms, part.Rows, squares);
        return loss;
    }

    /// <summary>
    /// Local SGD: the workers' moves of the weights over a round of <paramref name="steps"/> steps (each
    /// start − end, with its rows and loss sum), averaged by rows in worker order and applied; the
    /// schedule's clock advances by the round. Returns the round's loss sum.
    /// </summary>
    public double ApplyAverage(IReadOnlyList<(float[] Move, int Rows, double Loss)> moves, float[] weights, int steps, int epoch)
    {
        var (loss, rows) = (0.0, 0);
        foreach (var move in moves) (loss, rows) = (loss + move.Loss, rows + move.Rows);
        var rate = RateAt(State.Step);
        _guard.CheckLoss(loss, rows, State.Step, epoch, rate);
        Array.Clear(_mean);
        foreach (var move in moves) TensorPrimitives.MultiplyAdd(move.Move, (float)((double)move.Rows / rows), _mean, _mean);
        if (!float.IsFinite(TensorPrimitives.MaxMagnitude(_mean))) throw DivergenceGuard.NonFiniteGradient(State.Step, epoch, rate);
        TensorPrimitives.Subtract(weights, _mean, weights);
        State.Step += steps;
        return loss;
    }

    /// <summary>The guard on a step's loss alone (a sharded server: its shards hold the gradient).</summary>
    public void CheckLoss(double loss, int rows, int epoch) => _guard.CheckLoss(loss, rows, State.Step, epoch, LearningRate);

    /// <summary>A sharded step is done: the noise scale from the shards' |G_B|², and the step advances.</summary>
    public void Advance(IReadOnlyList<double> partitionSquaredNorms, int rows, double meanSquaredNorm)
    {
        State.Noise = GradientNoiseScale.ObservePartitions(State.Noise, partitionSquaredNorms, rows, meanSquaredNorm);
        State.Step++;
    }

    /// <summary>The losses and squared norms of every partition in partition order, and the rows.</summary>
    private (double Loss, int Rows) Collect(IReadOnlyList<StepSums> parts)
    {
        var rows = 0;
        foreach (var part in parts)
        {
            part.Losses.CopyTo(_losses, part.FirstPartition);
            part.SquaredNorms.CopyTo(_norms, part.FirstPartition);
            rows += part.Rows;
        }
        double loss = 0;
        foreach (var l in _losses) loss += l;
        return (loss, rows);
    }

    private void Apply(double loss, int rows, float[] weights, int epoch, long step, Func<bool> mean)
    {
        var rate = RateAt(step);
        _guard.CheckLoss(loss, rows, step, epoch, rate);
        if (!mean()) throw DivergenceGuard.NonFiniteGradient(step, epoch, rate);
        _optimiser.Step(weights, _mean, rate);
    }
}
