using Trainer.Core.Training;

namespace Trainer.Grains.Transport;

// Core's types that hold vectors travel as they are, through surrogates whose vectors are raw float32
// blocks (FloatVector); their other fields are small and go as the serializer sends them (Core's
// records as JSON, TrainerSerialization). Core knows nothing of this.

/// <summary>A worker's <see cref="StepSums"/> on the wire: its block sums as raw float32, or raw bfloat16 when they are exactly that (--wire bf16).</summary>
[GenerateSerializer, Immutable, Alias("trainer.step-sums")]
public readonly struct StepSumsSurrogate
{
    [Id(0)] public int FirstPartition { get; init; }
    [Id(1)] public int[] Starts { get; init; }
    [Id(2)] public FloatVector[] Sums { get; init; }
    [Id(3)] public double[] Losses { get; init; }
    [Id(4)] public double[] SquaredNorms { get; init; }
    [Id(5)] public int Rows { get; init; }
    [Id(6)] public double ComputeSeconds { get; init; }
    [Id(7)] public bool Bfloat16 { get; init; }
}

[RegisterConverter]
public sealed class StepSumsConverter : IConverter<StepSums, StepSumsSurrogate>
{
    public StepSums ConvertFromSurrogate(in StepSumsSurrogate s) =>
        new(s.FirstPartition, s.Starts.Zip(s.Sums, (start, sum) => (start, sum.Values)).ToArray(), s.Losses, s.SquaredNorms, s.Rows, s.ComputeSeconds, s.Bfloat16);

    public StepSumsSurrogate ConvertToSurrogate(in StepSums value)
    {
        var bfloat16 = value.Bfloat16;
        return new()
        {
            FirstPartition = value.FirstPartition,
            Starts = value.Blocks.Select(b => b.Start).ToArray(),
            Sums = value.Blocks.Select(b => new FloatVector(b.Sum) { InProcess = ProcessVectors.IsMarked(b.Sum), Bfloat16 = bfloat16 }).ToArray(),
            Losses = value.Losses,
            SquaredNorms = value.SquaredNorms,
            Rows = value.Rows,
            ComputeSeconds = value.ComputeSeconds,
            Bfloat16 = bfloat16,
        };
    }
}

/// <summary>The training loop's state in a checkpoint: the epochs and early stopping's memory, the best weights as raw float32.</summary>
[GenerateSerializer, Alias("trainer.loop-state")]
public struct LoopStateSurrogate
{
    [Id(0)] public EpochReport[] Epochs { get; set; }
    [Id(1)] public EarlyStoppingState Stopping { get; set; }
    [Id(2)] public FloatVector? BestWeights { get; set; }
}

[RegisterConverter]
public sealed class LoopStateConverter : IConverter<LoopState, LoopStateSurrogate>
{
    public LoopState ConvertFromSurrogate(in LoopStateSurrogate s) => new() { Epochs = [.. s.Epochs], Stopping = s.Stopping, BestWeights = s.BestWeights?.Values };

    public LoopStateSurrogate ConvertToSurrogate(in LoopState value) => new()
    {
        Epochs = [.. value.Epochs],
        Stopping = value.Stopping,
        BestWeights = value.BestWeights is { } best ? new FloatVector(best) : null,
    };
}

/// <summary>An update's state in a checkpoint: the step, the guard's reference, the noise scale's averages, the velocity as raw float32.</summary>
[GenerateSerializer, Alias("trainer.update-state")]
public struct UpdateStateSurrogate
{
    [Id(0)] public long Step { get; set; }
    [Id(1)] public FloatVector Velocity { get; set; }
    [Id(2)] public double? FirstMeanLoss { get; set; }
    [Id(3)] public NoiseScaleState Noise { get; set; }
}

[RegisterConverter]
public sealed class UpdateStateConverter : IConverter<UpdateState, UpdateStateSurrogate>
{
    public UpdateState ConvertFromSurrogate(in UpdateStateSurrogate s) =>
        new() { Step = s.Step, Velocity = s.Velocity.Values, FirstMeanLoss = s.FirstMeanLoss, Noise = s.Noise };

    public UpdateStateSurrogate ConvertToSurrogate(in UpdateState value) => new()
    {
        Step = value.Step, Velocity = new FloatVector(value.Velocity), FirstMeanLoss = value.FirstMeanLoss, Noise = value.Noise,
    };
}

/// <summary>No deep copy for calls inside a silo: a worker's sums are not changed until the server has applied them.</summary>
[RegisterCopier]
public sealed class StepSumsCopier : Orleans.Serialization.Cloning.IDeepCopier<StepSums>
{
    public StepSums? DeepCopy(StepSums? input, Orleans.Serialization.Cloning.CopyContext context) => input;
}
