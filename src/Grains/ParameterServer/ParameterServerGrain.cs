using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Trainer.Core;
using Trainer.Core.Training;
using Trainer.Grains.Admission;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Dashboard;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;
using Trainer.Grains.Workers;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// The parameter server of one job, its conductor: it starts or resumes the job (a
/// <see cref="ServerJob"/> over the grain's persistent state, which is the checkpoint) and runs the
/// same <see cref="TrainingLoop"/> as the reference trainer over it, streaming the loop's events to
/// the trainer. It drives the workers (it calls them, they never call it, so no grain waits on one
/// that waits on it). What 'trainer status' and 'trainer cancel' see is in ParameterServerGrain.Status.cs.
/// </summary>
[SpreadPlacement]
public sealed partial class ParameterServerGrain(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    ILogger<ParameterServerGrain> logger,
    IClusterMembershipService membership,
    IClusterManifestProvider manifests,
    CheckpointPatience patience,
    JobBoard board,
    SiloAdmission admission,
    JobOwnership ownership,
    RefusalLog refusals,
    [PersistentState("job", CheckpointStorage.Name)] IPersistentState<JobState> checkpoint) : Grain, IParameterServerGrain
{
    private ServerJob? _job;
    private readonly ClusterView _cluster = new(membership, manifests);

    public async Task<JobInfo> Start(JobSpec spec, CallerProof? caller = null)
    {
        spec = spec with { Owner = ownership.Caller(caller, CallerProof.Start, spec.Job) };
        if (checkpoint.RecordExists && checkpoint.State.Spec is { } taken && !ownership.May(spec.Owner, taken.Owner))
            throw new UserInputException($"--job {spec.Job} is taken; choose another --job"); // another certificate's job: not even its progress
        if (checkpoint.RecordExists && checkpoint.State.Spec is not null)
            throw new UserInputException($"--job {spec.Job}: this job already has a checkpoint (epoch {checkpoint.State.Epoch}, step {checkpoint.State.Update?.Step}); " +
                                         $"continue it with {ResumeHint.Of(spec.Job)}, or choose another --job");
        if (spec.PsShards > 1 && spec.Mode != JobMode.Sync)
            throw new UserInputException($"--ps-shards {spec.PsShards} works with --mode sync; this job's mode is {spec.Mode}");
        checkpoint.State = new JobState { Spec = spec };
        var job = await Build();
        try { await CheckpointWriter.OnceTheStoreAnswers(WriteCheckpoint, TimeProvider.System); }
        catch (Exception e) when (CheckpointWriter.IsOutage(e))
        {
            await ReleaseAsync(job);
            _job = null;
            throw new JobFaultException(JobFaultException.StoreLost, CheckpointWriter.FolderFault(e) is { } folder
                ? folder.Message // the job never started: there is nothing to resume, only the folder to fix
                : $"job {spec.Job}: the checkpoint store is unreachable ({CheckpointWriter.Describe(e)})");
        }
        return job.Info;
    }

    public async Task<ResumeInfo> Resume(CallerProof? caller = null)
    {
        // Who asks is checked before anything is read: the running job's checkpoint is the state in
        // hand, and reading the store into it would leave the job writing a stale copy from then on.
        if (_job is { } running) Authorize(caller, CallerProof.Resume, running.Spec);
        try { await CheckpointWriter.OnceTheStoreAnswers(checkpoint.ReadStateAsync, TimeProvider.System); } // the newest checkpoint, also when this activation is not new
        catch (Exception e) when (CheckpointWriter.IsOutage(e))
        {
            throw new JobFaultException(JobFaultException.StoreLost, $"job {this.GetPrimaryKeyString()}: the checkpoint store is unreachable ({CheckpointWriter.Describe(e)})");
        }
        var state = checkpoint.State;
        if (!checkpoint.RecordExists || state.Spec is null)
            throw new UserInputException($"--job {this.GetPrimaryKeyString()}: no checkpoint of this job (never started, or already finished)");
        Authorize(caller, CallerProof.Resume, state.Spec);
        var job = await Build();
        ReportStatus(job);
        JobResumed(state.Spec.Job, state.Epoch, state.Update!.Step);
        return new ResumeInfo(state.Spec, job.Info, state.Loop!.CompletedEpochs, state.Epoch, state.StepInEpoch, state.Update.Step, state.RecoveryNote);
    }

    public async IAsyncEnumerable<LoopEvent> Run(CallerProof? caller = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var job = Current();
        Authorize(caller, CallerProof.Follow, job.Spec);
        var data = job.Info.Data;
        board.Placed(job.Spec.Job, job.Network.Spec.ToString(), job.Spec.Mode, job.Spec.Options.Epochs, silo.SiloAddress.ToString(),
            job.Info.Workers.Select(w => w.Silo).ToArray(), job.State.Loop!.Epochs);
        await using var loop = TrainingLoop.RunAsync(job, job.Spec.Options, data.ValidationRows, data.TestRows > 0, job.State.Loop!, job.Spec.Job, cancellation)
            .GetAsyncEnumerator(cancellation);
        while (true)
        {
            LoopEvent next;
            try
            {
                if (!await loop.MoveNextAsync()) yield break;
                next = loop.Current;
            }
            catch (Exception e) when (Fault(job, e) is { } fault)
            {
                board.Ended(job.Spec.Job, job.Status == JobStatus.Cancelled ? JobStatus.Cancelled : JobStatus.Failed);
                throw fault; // exceptions of a stream travel inside a response, past the incoming call filter
            }
            if (next is LoopDone) await job.GatherShardsAsync();
            board.Observe(job.Spec.Job, next);
            yield return next;
        }
    }

    public Task<FloatVector> Result(CallerProof? caller = null)
    {
        var job = Current();
        Authorize(caller, CallerProof.Follow, job.Spec);
        return Task.FromResult(new FloatVector(job.FinalWeights));
    }

    public async Task<string?> Finish(CallerProof? caller = null)
    {
        if ((_job?.Spec ?? checkpoint.State.Spec) is { } spec) Authorize(caller, CallerProof.Finish, spec); // a job at rest is its checkpoint's owner's too
        if (_job is { } job)
        {
            job.Status = JobStatus.Finished;
            ReportStatus(job);
            board.Ended(job.Spec.Job, JobStatus.Finished);
            await ReleaseAsync(job);
        }
        _job = null;
        DeactivateOnIdle();
        try
        {
            await checkpoint.ClearStateAsync();
            return null;
        }
        catch (Exception e) when (CheckpointWriter.IsOutage(e))
        {
            return $"the finished job's last checkpoint could not be deleted ({CheckpointWriter.Describe(e)}); {ResumeHint.Of(this.GetPrimaryKeyString())} would train it again from there";
        }
    }

    /// <summary>The job of the grain's state; a job that was running here before (a resume) stops at its next step.</summary>
    private async Task<ServerJob> Build()
    {
        if (_job is { } old) old.Superseded = true;
        _job = null;
        var writer = new CheckpointWriter(checkpoint.State.Spec!.Job, WriteCheckpoint, RefreshETag, TimeProvider.System, patience.Value);
        var job = await ServerJob.BuildAsync(grains, checkpoint.State, silo.SiloAddress.ToString(), _cluster, logger, writer, admission);
        _job = job;
        return job;
    }

    /// <summary>A checkpoint is the grain's state written (with shards, their weights and velocity gathered first); the registry hears where the job stands.</summary>
    private async Task WriteCheckpoint()
    {
        if (_job is { } job) await job.GatherShardsAsync();
        await checkpoint.WriteStateAsync();
        if (_job is { } current) ReportStatus(current);
    }

    /// <summary>The store's version tag of the checkpoint, read again; the state in hand is kept (it is the newer one).</summary>
    private async Task RefreshETag()
    {
        var current = checkpoint.State;
        await checkpoint.ReadStateAsync();
        checkpoint.State = current;
    }

    /// <summary>
    /// A failure of the job's loop as it leaves the grain: bad input and divergence as the faults the
    /// trainer maps to exit codes, workers lost beyond recovery as a lost cluster (or, with shards,
    /// whose loss fails every worker, as a resume from the checkpoint, which loads them again).
    /// Anything else is a bug and leaves as it is. The job is marked failed for 'trainer status'.
    /// </summary>
    private Exception? Fault(ServerJob job, Exception e)
    {
        Exception? fault = e switch
        {
            JobFaultException or ResumeRequiredException => e,
            WorkersLostException when job.Spec.PsShards > 1 => new ResumeRequiredException($"{e.Message}; continuing from the last checkpoint"),
            WorkersLostException => new JobFaultException(JobFaultException.ClusterLost, e.Message),
            _ => JobFaultFilter.ToFault(e),
        };
        if (fault is ResumeRequiredException || e is OperationCanceledException) return fault;
        if (fault is not JobFaultException { Kind: JobFaultException.Cancelled })
        {
            job.Status = JobStatus.Failed;
            ReportStatus(job);
            if (fault is JobFaultException foreseen) JobStopped(job.Spec.Job, foreseen.Message, e); // its trainer prints the one line; the stack is for debug logs
            else JobFailed(job.Spec.Job, e);
        }
        _ = ReleaseAsync(job); // a failed or cancelled job holds no place on its silos (a resume places it again)
        return fault;
    }

    /// <summary>The job lets its workers, shards and its reservation on this silo go.</summary>
    private async Task ReleaseAsync(ServerJob job)
    {
        admission.Leave(job.Spec.Job, SiloAdmission.ServerHolder(job.Spec.Job));
        await job.ReleaseAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_job is { } job) admission.Leave(job.Spec.Job, SiloAdmission.ServerHolder(job.Spec.Job));
        return Task.CompletedTask;
    }

    /// <summary>The running job; none means this activation lost it (its silo was lost and it was activated again): the trainer must resume it.</summary>
    private ServerJob Current() =>
        _job ?? throw new ResumeRequiredException($"job {this.GetPrimaryKeyString()} is not running on this parameter server activation; resume it from its checkpoint");
}
