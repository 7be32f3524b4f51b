using Trainer.Core;

namespace Trainer.Grains.Hosting;

/// <summary>
/// A user error, a divergence or a cluster lost beyond recovery, raised inside a grain, in a form
/// Orleans can send: Core's own exception types carry no Orleans attributes. The CLI maps it to
/// exit code 2, 3 or 4.
/// </summary>
[GenerateSerializer, Alias("trainer.job-fault")]
public sealed class JobFaultException(string kind, string message) : Exception(message)
{
    public const string UserError = "user-error", Diverged = "diverged", ClusterLost = "cluster-lost", Cancelled = "cancelled";

    [Id(0)] public string Kind { get; } = kind;
}

/// <summary>
/// Turns Core's user and divergence errors into <see cref="JobFaultException"/> as they leave a grain.
/// Streamed results (IAsyncEnumerable) carry their exception inside a response, past the filter:
/// their code translates with <see cref="Translate{T}"/>.
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

    public static T Translate<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (ToFault(e) is { } fault)
        {
            throw fault;
        }
    }

    private static JobFaultException? ToFault(Exception e) => e switch
    {
        UserInputException => new JobFaultException(JobFaultException.UserError, e.Message),
        TrainingDivergedException => new JobFaultException(JobFaultException.Diverged, e.Message),
        _ => null,
    };
}
