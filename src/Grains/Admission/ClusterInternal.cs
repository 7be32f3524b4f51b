using System.Reflection;
using Trainer.Grains.Hosting;

namespace Trainer.Grains.Admission;

/// <summary>
/// Marks grain interfaces and methods that only the cluster calls (workers, shards, a job's reports
/// to the registry, a silo's leaving): its grains, and a silo's own hosted client (a silo process's
/// health endpoint telling the jobs it is leaving). A client that reaches a gateway (a trainer, or
/// anyone with a certificate of the CA, or anyone at all without TLS) is refused by
/// <see cref="ClusterInternalFilter"/> before the grain runs any of it. Orleans names a silo's hosted
/// client "hosted-SILO"; a client built to claim that name is not stopped here: mutual TLS is the boundary.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, Inherited = false)]
public sealed class ClusterInternalAttribute : Attribute;

/// <summary>Refuses a client's call of a <see cref="ClusterInternalAttribute"/> entry point, in one line, before the grain sees it.</summary>
public sealed class ClusterInternalFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.SourceId is { } source && source.Type.IsClient() && !IsSiloHosted(source) && IsInternal(context.InterfaceMethod))
            throw new JobFaultException(JobFaultException.UserError,
                $"{context.InterfaceMethod!.DeclaringType!.Name}.{context.MethodName} is called by the cluster's own grains only, not by a client");
        return context.Invoke();
    }

    private static bool IsSiloHosted(GrainId client) => client.Key.ToString()!.StartsWith("hosted-", StringComparison.Ordinal);

    private static bool IsInternal(MethodInfo? method) =>
        method is not null && (method.IsDefined(typeof(ClusterInternalAttribute)) || method.DeclaringType?.IsDefined(typeof(ClusterInternalAttribute)) == true);
}
