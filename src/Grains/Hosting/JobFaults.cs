using Trainer.Core;

namespace Trainer.Grains.Hosting;

/// <summary>
/// A user error, a divergence, a cluster or checkpoint store lost beyond recovery, raised inside a
/// grain, in a form Orleans can send: Core's own exception types carry no Orleans attributes. The
/// CLI maps it to exit code 2, 3 or 4.
/// </summary>
[GenerateSerializer, Alias("trainer.job-fault")]
public sealed class JobFaultException(string kind, string message) : Exception(message)
{
    public const string UserError = "user-error", Diverged = "diverged", ClusterLost = "cluster-lost", StoreLost = "store-lost", Cancelled = "cancelled";

    [Id(0)] public string Kind { get; } = kind;
}

/// <summary>
/// Turns Core's user and divergence errors into <see cref="JobFaultException"/> as they leave a grain.
/// Streamed results (IAsyncEnumerable) carry their exception inside a response, past the filter:
/// their code translates with <see cref="ToFault"/>.
/// </summary>
public sealed class JobFaultFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (ToFault(e) is { } fault)
        {
            throw fault;
        }
    }

    /// <summary>Core's user error or divergence as the fault the trainer maps to exit 2 or 3; null for anything else.</summary>
    public static JobFaultException? ToFault(Exception e) => e switch
    {
        UserInputException => new JobFaultException(JobFaultException.UserError, e.Message),
        TrainingDivergedException => new JobFaultException(JobFaultException.Diverged, e.Message),
        _ => null,
    };
}

/// <summary>
/// The parameter server cannot go on with what it holds and must be resumed from its checkpoint:
/// its activation has no job (it was lost with its silo and activated again elsewhere), or a shard
/// of its parameters was lost. The trainer resumes it; nothing else asks for a resume.
/// </summary>
[GenerateSerializer, Alias("trainer.resume-required")]
public sealed class ResumeRequiredException(string message) : Exception(message);

/// <summary>A worker activation without its job (a fresh one after its silo was lost, or one that does not hold the weights it is asked to use): replaced like a lost worker.</summary>
[GenerateSerializer, Alias("trainer.worker-state-lost")]
public sealed class WorkerStateLostException(string message) : Exception(message);
