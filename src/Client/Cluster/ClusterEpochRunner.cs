using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Client.Cluster;

/// <summary>
/// The epochs of a job on an Orleans cluster: the parameter server runs each epoch's steps and
/// streams progress; validation and test sets are scored by the workers, each on its own chunks,
/// and combined here in chunk order. Driven by the same <see cref="TrainingLoop"/> as the local trainer.
/// </summary>
public sealed class ClusterEpochRunner : IEpochRunner
{
    private readonly IParameterServerGrain _server;
    private readonly IWorkerGrain[] _workers;

    private ClusterEpochRunner(IGrainFactory grains, JobSpec spec, JobInfo info)
    {
        Info = info;
        _server = grains.GetGrain<IParameterServerGrain>(spec.Job);
        _workers = Enumerable.Range(0, spec.Workers).Select(i => grains.GetGrain<IWorkerGrain>($"{spec.Job}/{i}")).ToArray();
        Network = new Network(ReferenceTrainer.SpecFor(spec.Options, info.Data.Features, info.Data.Classes));
    }

    public JobInfo Info { get; }
    public Network Network { get; }
    public int StepsPerEpoch => Info.StepsPerEpoch;

    public static async Task<ClusterEpochRunner> StartAsync(IGrainFactory grains, JobSpec spec)
    {
        var info = await grains.GetGrain<IParameterServerGrain>(spec.Job).Start(spec);
        return new ClusterEpochRunner(grains, spec, info);
    }

    public async Task<EpochStats> RunEpochAsync(int epoch, ITrainingObserver observer, CancellationToken cancellation)
    {
        EpochStats? stats = null;
        await foreach (var progress in _server.RunEpoch(epoch, cancellation).WithCancellation(cancellation))
        {
            observer.StepCompleted(epoch, progress.Step, progress.Steps, progress.Loss);
            stats = progress.Stats ?? stats;
        }
        return stats ?? throw new InvalidOperationException($"the parameter server ended epoch {epoch} without its statistics");
    }

    public async Task<float[]> WeightsAsync(CancellationToken cancellation) => (await _server.GetWeights()).Values;

    public async Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation)
    {
        var vector = new FloatVector(weights);
        var shards = await Task.WhenAll(_workers.Select(w => w.Evaluate(part, vector)));
        return Evaluator.Combine(shards.OrderBy(s => s.FirstChunk).SelectMany(s => s.Sums));
    }

    public Task FinishAsync() => _server.Finish();
}
