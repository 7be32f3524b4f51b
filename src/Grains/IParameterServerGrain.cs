using Trainer.Core.Training;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Grains;

/// <summary>
/// Holds one job's parameters and optimiser state and drives its workers: it sends them the weights,
/// combines their partial gradient sums in a fixed order and applies the update. Keyed by the job id.
/// </summary>
[Alias("trainer.parameter-server")]
public interface IParameterServerGrain : IGrainWithStringKey
{
    /// <summary>Creates the job: its workers load their data and partitions; the weights are initialised.</summary>
    [Alias("start"), ResponseTimeout("00:10:00")]
    Task<JobInfo> Start(JobSpec spec);

    /// <summary>Runs every step of one epoch, streaming progress; the last item carries the epoch's statistics.</summary>
    [Alias("run-epoch")]
    IAsyncEnumerable<EpochProgress> RunEpoch(int epoch, CancellationToken cancellation = default);

    /// <summary>The current weights.</summary>
    [Alias("weights")]
    Task<FloatVector> GetWeights();

    /// <summary>Releases the workers and forgets the job.</summary>
    [Alias("finish")]
    Task Finish();
}
