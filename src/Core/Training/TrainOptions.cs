using Trainer.Core.Models;
using Trainer.Core.Optim;

namespace Trainer.Core.Training;

/// <summary>Every hyper-parameter of a training job, as used (the report prints them all).</summary>
public sealed record TrainOptions
{
    public string Model { get; init; } = ModelSpec.Mlp;
    public int[] Hidden { get; init; } = [256];
    public string Activation { get; init; } = "relu";
    public int Epochs { get; init; } = 20;
    public int Batch { get; init; } = 64;
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; }
    public string Schedule { get; init; } = "constant";
    public double WarmupEpochs { get; init; }
    public int Patience { get; init; } = 5;
    public double MinDelta { get; init; }
    public ulong Seed { get; init; } = 42;
    public int Partitions { get; init; } = 8;
    public int Threads { get; init; } = Environment.ProcessorCount;

    public SgdSettings Sgd => new(Momentum, Nesterov, WeightDecay);
}
