using Trainer.Core.Models;
using Trainer.Core.Optim;

namespace Trainer.Core.Training;

/// <summary>Every hyper-parameter of a training job, as used (the report prints them all).</summary>
public sealed record TrainOptions
{
    public string Model { get; init; } = ModelSpec.Mlp;
    public int[] Hidden { get; init; } = [256];
    public string Activation { get; init; } = "relu";
    /// <summary>Inverted dropout's rate on every hidden dense layer in training (d2l 4.6); 0: none.</summary>
    public double Dropout { get; init; }
    /// <summary>--model cnn's layers (<see cref="Models.Layers.LayerPlan"/>).</summary>
    public string? Layers { get; init; }
    /// <summary>max or avg: LeNet's pooling, and a cnn's poolK layers.</summary>
    public string Pool { get; init; } = Models.Layers.PoolLayer.Max;
    /// <summary>A row's image shape [C, H, W] for lenet and cnn; null: the data's own (IDX images are 1 × H × W).</summary>
    public int[]? InputShape { get; init; }
    /// <summary>classification or regression, for the MLP (the other models have one task); null: classification.</summary>
    public string? Task { get; init; }
    public int Epochs { get; init; } = 20;
    /// <summary>The global batch; with <see cref="AutoBatch"/>, the start batch.</summary>
    public int Batch { get; init; } = 64;
    /// <summary>--batch auto: the batch is decided at every epoch boundary (<see cref="Scaling.BatchSchedule"/>); null: fixed.</summary>
    public Scaling.AutoBatchOptions? AutoBatch { get; init; }
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; }
    public string Schedule { get; init; } = "constant";
    public double WarmupEpochs { get; init; }
    /// <summary>Epochs without improvement before stopping; null: <see cref="EarlyStoppingPolicy.DefaultPatience"/>, or off on a tiny validation set.</summary>
    public int? Patience { get; init; }
    /// <summary>What early stopping watches: the validation loss (default) or accuracy.</summary>
    public string Monitor { get; init; } = EarlyStoppingPolicy.Loss;
    public double MinDelta { get; init; }
    public ulong Seed { get; init; } = 42;
    public int Partitions { get; init; } = 8;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>sgd, or lars (layer-wise trust ratio, You et al. 2017).</summary>
    public string Optimizer { get; init; } = Optim.Optimizer.Sgd;
    /// <summary>LARS's η: how far a layer may move relative to its weights' norm in one step.</summary>
    public double TrustCoefficient { get; init; } = 0.001;
    /// <summary>none, linear (lr × B/base, Goyal et al. 2017) or sqrt (lr × √(B/base)).</summary>
    public string LrScaling { get; init; } = LearningRateScaling.None;
    public int BaseBatch { get; init; } = 256;
    /// <summary>A validation accuracy (R² for regression) to reach; the loop notes the first epoch that does.</summary>
    public double? Target { get; init; }
    /// <summary>Stop at the epoch that reaches <see cref="Target"/> (otherwise go on to the last epoch).</summary>
    public bool StopAtTarget { get; init; } = true;

    public SgdSettings Sgd => new(Momentum, Nesterov, WeightDecay);

    /// <summary>The learning rate the schedule starts from: --lr scaled by the batch's rule.</summary>
    public double ScaledLearningRate => LearningRateScaling.Scale(LrScaling, LearningRate, Batch, BaseBatch);
}
