using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;

namespace Trainer.Core.Training;

/// <summary>
/// The single-process trainer (<c>--cluster local</c>) and the reference the cluster must match bit
/// for bit: the <see cref="TrainingLoop"/> over a <see cref="LocalEpochRunner"/>.
/// </summary>
public sealed class ReferenceTrainer(IKernel kernel, ITrainingObserver? observer = null)
{
    public static ModelSpec SpecFor(TrainOptions options, PreparedData data) => SpecFor(options, data.Features, data.Classes, data.Preprocessor, data.Train.ImageShape);

    /// <param name="preprocessor">The data's preprocessing: a regression target's mean and scale go into the model.</param>
    /// <param name="imageShape">The data's image shape, if its rows are images: a convolutional model's input unless --input-shape says otherwise.</param>
    public static ModelSpec SpecFor(TrainOptions options, int features, int classes, Preprocessor? preprocessor = null, int[]? imageShape = null)
    {
        var convolutional = options.Model is ModelSpec.LeNet or ModelSpec.Cnn;
        return new(options.Model, features, classes, options.Model == ModelSpec.Mlp ? options.Hidden : [], options.Activation,
            classes == 0 ? preprocessor?.TargetMean ?? 0 : 0, classes == 0 ? preprocessor?.TargetScale ?? 1 : 1)
        {
            Dropout = options.Dropout,
            InputShape = convolutional ? options.InputShape ?? imageShape : null,
            Layers = options.Model == ModelSpec.Cnn ? options.Layers : null,
            Pool = convolutional ? options.Pool : Models.Layers.PoolLayer.Max,
        };
    }

    public TrainingResult Train(PreparedData data, TrainOptions options, CancellationToken cancellation = default) =>
        TrainAsync(data, options, cancellation).GetAwaiter().GetResult();

    public Task<TrainingResult> TrainAsync(PreparedData data, TrainOptions options, CancellationToken cancellation = default) =>
        TrainingLoop.RunToEndAsync(new LocalEpochRunner(kernel, data, options), options, data.Validation?.Count ?? 0, data.Test is not null,
            observer ?? SilentObserver.Instance, cancellation);
}
