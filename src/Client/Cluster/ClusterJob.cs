using System.Text.RegularExpressions;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Admission;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;

namespace Trainer.Client.Cluster;

/// <summary>
/// A job on an Orleans cluster, as the trainer follows it: it starts (or resumes) the job on its
/// parameter server, follows the server's training loop as a stream of events, and asks for the
/// weights once, at the end. When the parameter server is lost (its silo died, or it asks to be
/// resumed), the server resumes from its checkpoint and the trainer follows it again: an
/// interrupted epoch continues from the checkpoint's step. Anything else fails at once.
/// </summary>
public sealed class ClusterJob
{
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromMinutes(3);
    private const int MaxRecoveries = 5;
    private readonly IParameterServerGrain _server;
    private readonly IGrainFactory _grains;
    private readonly TextWriter? _log;
    private readonly Func<string, string, CallerProof?> _prove;

    private ClusterJob(IGrainFactory grains, JobSpec spec, JobInfo info, TextWriter? log, Func<string, string, CallerProof?>? prove)
    {
        (Spec, Info, _log, _grains, _prove) = (spec, info, log, grains, prove ?? NoProof);
        _server = grains.GetGrain<IParameterServerGrain>(spec.Job);
        Network = new Network(ReferenceTrainer.SpecFor(spec.Options, info.Data.Features, info.Data.Classes, info.Data.Preprocessor, info.Data.ImageShape));
    }

    public JobSpec Spec { get; }
    public JobInfo Info { get; private set; }
    public Network Network { get; }
    /// <summary>How often the parameter server was resumed from its checkpoint during this run.</summary>
    public int Recoveries { get; private set; }

    /// <param name="prove">With mutual TLS, the trainer's proof of its certificate for an action on a job (<see cref="ClusterConnection.Prove"/>): the job is that certificate's.</param>
    public static async Task<ClusterJob> StartAsync(IGrainFactory grains, JobSpec spec, TextWriter? log = null, Func<string, string, CallerProof?>? prove = null) =>
        new(grains, spec, await grains.GetGrain<IParameterServerGrain>(spec.Job).Start(spec, (prove ?? NoProof)(CallerProof.Start, spec.Job)), log, prove);

    /// <summary>Continues a job from its last checkpoint (after the trainer was lost, or the whole cluster restarted).</summary>
    public static async Task<(ClusterJob Job, ResumeInfo Resume)> ResumeAsync(IGrainFactory grains, string job, TextWriter? log = null, Func<string, string, CallerProof?>? prove = null)
    {
        var resume = await grains.GetGrain<IParameterServerGrain>(job).Resume((prove ?? NoProof)(CallerProof.Resume, job));
        return (new ClusterJob(grains, resume.Spec, resume.Info, log, prove), resume);
    }

    private static CallerProof? NoProof(string action, string job) => null;

    /// <summary>Follows the job's training loop to its end, telling the observer as it goes, then fetches the result's weights.</summary>
    public async Task<TrainingResult> RunAsync(ITrainingObserver observer, CancellationToken cancellation)
    {
        using var span = TrainerTelemetry.Source.StartActivity("train")?.SetTag("job", Spec.Job);
        TrainingOutcome? outcome = null;
        await WithRecovery(async () =>
        {
            using var watch = ServerWatch.Start(_grains, Info.ParameterServerSilo, cancellation);
            try
            {
                await foreach (var e in _server.Run(_prove(CallerProof.Follow, Spec.Job), watch.Token).WithCancellation(watch.Token))
                {
                    observer.Observe(e);
                    if (e is LoopDone done) outcome = done.Outcome;
                }
            }
            catch (OperationCanceledException) when (watch.ServerDead && !cancellation.IsCancellationRequested)
            {
                throw new SiloUnavailableException($"the cluster declared its silo {Info.ParameterServerSilo} dead");
            }
            return true;
        }, cancellation);
        if (outcome is null) throw new InvalidOperationException($"job {Spec.Job}: the parameter server's loop ended without its outcome");
        var weights = await WithRecovery(() => _server.Result(_prove(CallerProof.Follow, Spec.Job)), cancellation);
        return new TrainingResult(Network, weights.Values, outcome);
    }

    /// <summary>The job is done: its workers released, its checkpoint deleted; a warning when that could not be.</summary>
    public Task<string?> FinishAsync() => _server.Finish(_prove(CallerProof.Finish, Spec.Job));

    /// <summary>
    /// Why the server was lost, in one line: Orleans's connection failures carry the inner exception's
    /// type and stack trace in their message ("Exception while sending message: …ConnectionFailedException:
    /// Unable to connect to S…, will retry after 900 ms\n   at …").
    /// </summary>
    public static string LossReason(Exception e)
    {
        var message = e.GetBaseException().Message.Split('\n', 2)[0].Trim();
        message = Regex.Replace(message, @"^Exception while sending message: [\w.]+Exception: ", "");
        return Regex.Replace(message, @", will retry after [\d.]+ms$", "");
    }

    /// <summary>Runs a call on the parameter server; if the server is lost, resumes it from its checkpoint and runs the call again.</summary>
    private async Task<T> WithRecovery<T>(Func<Task<T>> call, CancellationToken cancellation)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsLoss(e, cancellation) && Recoveries < MaxRecoveries)
            {
                _log?.WriteLine($"parameter server lost ({LossReason(e)}); resuming from its last checkpoint");
                await ResumeServer(cancellation);
            }
            catch (Exception e) when (IsLoss(e, cancellation))
            {
                throw new ClusterUnreachableException($"job {Spec.Job}: still failing after {MaxRecoveries} recoveries ({LossReason(e)})", e);
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
                var resume = await _server.Resume(_prove(CallerProof.Resume, Spec.Job)).WaitAsync(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (deadline - DateTime.UtcNow).Ticks)), cancellation);
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

    /// <summary>A loss of the cluster (a silo, a connection, a call timed out, a server that asks to be resumed); never the job's own faults, nor cancellation.</summary>
    private static bool IsLoss(Exception e, CancellationToken cancellation) => !cancellation.IsCancellationRequested && ClusterFaults.IsLoss(e);
}
