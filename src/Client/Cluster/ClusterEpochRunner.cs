using Orleans.Runtime;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Transport;

namespace Trainer.Client.Cluster;

/// <summary>
/// The epochs of a job on an Orleans cluster: the parameter server runs each epoch's steps and
/// streams progress; validation and test sets are scored by the workers, each on its own chunks,
/// and combined here in chunk order. Driven by the same <see cref="TrainingLoop"/> as the local
/// trainer. When the parameter server is lost (its silo died), the runner has it resume from its
/// checkpoint and carries on: an interrupted epoch continues from the checkpoint's step.
/// </summary>
public sealed class ClusterEpochRunner : IEpochRunner
{
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromMinutes(3);
    private const int MaxRecoveriesPerCall = 5;
    private readonly IParameterServerGrain _server;
    private readonly TextWriter? _log;

    private ClusterEpochRunner(IGrainFactory grains, JobSpec spec, JobInfo info, TextWriter? log)
    {
        Spec = spec;
        Info = info;
        _log = log;
        _server = grains.GetGrain<IParameterServerGrain>(spec.Job);
        Network = new Network(ReferenceTrainer.SpecFor(spec.Options, info.Data.Features, info.Data.Classes, info.Data.Preprocessor));
    }

    public JobSpec Spec { get; }
    public JobInfo Info { get; private set; }
    public Network Network { get; }
    public int StepsPerEpoch => Info.StepsPerEpoch;
    /// <summary>How often the parameter server was resumed from its checkpoint during this run.</summary>
    public int Recoveries { get; private set; }

    public static async Task<ClusterEpochRunner> StartAsync(IGrainFactory grains, JobSpec spec, TextWriter? log = null)
    {
        var info = await grains.GetGrain<IParameterServerGrain>(spec.Job).Start(spec);
        return new ClusterEpochRunner(grains, spec, info, log);
    }

    /// <summary>Continues a job from its last checkpoint (after the client was lost, or the whole cluster restarted).</summary>
    public static async Task<(ClusterEpochRunner Runner, ResumeInfo Resume)> ResumeAsync(IGrainFactory grains, string job, TextWriter? log = null)
    {
        var resume = await grains.GetGrain<IParameterServerGrain>(job).Resume();
        return (new ClusterEpochRunner(grains, resume.Spec, resume.Info, log), resume);
    }

    public Task<EpochStats> RunEpochAsync(int epoch, ITrainingObserver observer, CancellationToken cancellation) =>
        WithRecovery(async () =>
        {
            EpochStats? stats = null;
            await foreach (var progress in _server.RunEpoch(epoch, cancellation).WithCancellation(cancellation))
            {
                observer.StepCompleted(epoch, progress.Step, progress.Steps, progress.Loss);
                stats = progress.Stats ?? stats;
            }
            return stats ?? throw new InvalidOperationException($"the parameter server ended epoch {epoch} without its statistics");
        }, cancellation);

    public async Task<float[]> WeightsAsync(CancellationToken cancellation) => (await WithRecovery(_server.GetWeights, cancellation)).Values;

    public async Task<MetricSums> EvaluateAsync(DataPart part, float[] weights, CancellationToken cancellation)
    {
        var vector = new FloatVector(weights);
        var shards = await WithRecovery(() => _server.Evaluate(part, vector), cancellation);
        return Evaluator.Combine(shards.OrderBy(s => s.FirstChunk).SelectMany(s => s.Sums));
    }

    public Task EpochCompletedAsync(LoopState state, float[]? newBestWeights, CancellationToken cancellation) =>
        WithRecovery(async () =>
        {
            await _server.EpochCompleted(state, newBestWeights is null ? null : new FloatVector(newBestWeights));
            return true;
        }, cancellation);

    public Task FinishAsync() => _server.Finish();

    /// <summary>
    /// Runs a call on the parameter server; if the server or its silo is lost, resumes it from its
    /// checkpoint (retrying while the cluster notices the loss, up to a deadline) and runs the call again.
    /// </summary>
    private async Task<T> WithRecovery<T>(Func<Task<T>> call, CancellationToken cancellation)
    {
        for (var recovery = 1; ; recovery++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsLoss(e, cancellation) && recovery <= MaxRecoveriesPerCall)
            {
                _log?.WriteLine($"parameter server lost ({e.GetBaseException().Message}); resuming from its last checkpoint");
                await ResumeServer(cancellation);
            }
            catch (Exception e) when (IsLoss(e, cancellation))
            {
                throw new ClusterUnreachableException($"job {Spec.Job}: still failing after {MaxRecoveriesPerCall} recoveries ({e.GetBaseException().Message})", e);
            }
        }
    }

    private async Task ResumeServer(CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + RecoveryDeadline;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // bounded: a call that went through a frozen gateway must not wait out Resume's long response timeout
                var resume = await _server.Resume().WaitAsync(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (deadline - DateTime.UtcNow).Ticks)), cancellation);
                Info = resume.Info;
                Recoveries++;
                if (resume.Note is { } note) _log?.WriteLine($"warning: {note}");
                _log?.WriteLine($"resumed at epoch {resume.Epoch}, step {resume.Step}");
                return;
            }
            catch (Exception e) when (IsLoss(e, cancellation) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 250 * attempt)), cancellation);
            }
            catch (Exception e) when (IsLoss(e, cancellation))
            {
                throw new ClusterUnreachableException($"job {Spec.Job}: the parameter server could not be resumed within {RecoveryDeadline.TotalSeconds:F0} s ({e.GetBaseException().Message})", e);
            }
        }
    }

    /// <summary>A failure of the cluster, not of the job: the job's own faults (bad input, divergence) and cancellation are not retried.</summary>
    private static bool IsLoss(Exception e, CancellationToken cancellation) =>
        e is not JobFaultException && !(e is OperationCanceledException && cancellation.IsCancellationRequested)
        && e.GetBaseException() is SiloUnavailableException or OrleansException or EnumerationAbortedException or TimeoutException or InvalidOperationException or OperationCanceledException
            or System.Net.Sockets.SocketException or IOException;
}
