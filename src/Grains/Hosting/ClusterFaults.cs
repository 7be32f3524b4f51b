using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Orleans.Runtime.Messaging;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Which failures mean that part of the cluster was lost, and so may be recovered from (a worker
/// replaced, the parameter server resumed), as opposed to faults of the job (bad input, divergence,
/// cancellation) or of the code: those fail at once, with the real exception.
/// </summary>
public static class ClusterFaults
{
    /// <summary>A lost silo, connection or activation, or a call that timed out.</summary>
    public static bool IsLoss(Exception e) => e.GetBaseException() is
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException
        or ClientNotAvailableException or EnumerationAbortedException or TimeoutException
        or ConnectionAbortedException or ConnectionResetException or SocketException
        or WorkerStateLostException or ResumeRequiredException;
}
