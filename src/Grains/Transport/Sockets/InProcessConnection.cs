using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// One end of a connection whose two ends live in this process (the silos of an embedded cluster,
/// and the trainer's client to their gateways). Orleans's messages go from one end's send pipe into
/// the other's receive pipe in one copy: no system calls, no kernel copies, no loopback TCP. Each
/// end counts its traffic as a socket would, so the wire's counters stay true.
/// </summary>
internal sealed class InProcessConnection : PipeConnection
{
    private readonly TrafficCounter _traffic;
    private InProcessConnection _peer = null!;
    private Task _sending = Task.CompletedTask;

    private InProcessConnection(EndPoint local, EndPoint remote, TrafficCounter traffic) : base("in-process", local, remote) => _traffic = traffic;

    /// <summary>The connecting end and the accepted end of one connection.</summary>
    public static (InProcessConnection Connecting, InProcessConnection Accepted) Pair(EndPoint listener, TrafficCounter connecting, TrafficCounter accepting)
    {
        var caller = new IPEndPoint(IPAddress.Loopback, 0);
        var a = new InProcessConnection(caller, listener, connecting);
        var b = new InProcessConnection(listener, caller, accepting);
        (a._peer, b._peer) = (b, a);
        a._sending = Task.Run(a.SendLoop);
        b._sending = Task.Run(b.SendLoop);
        return (a, b);
    }

    public override void Abort(ConnectionAbortedException abortReason) => ToSend.Reader.CancelPendingRead();

    public override ValueTask DisposeAsync()
    {
        ToSend.Reader.CancelPendingRead();
        return DisposeAsync(_sending);
    }

    /// <summary>What Orleans wrote here goes into the peer's receive pipe; when either side stops, both ends close.</summary>
    private async Task SendLoop()
    {
        var reader = ToSend.Reader;
        var peer = _peer.Received.Writer;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                foreach (var segment in buffer) peer.Write(segment.Span);
                reader.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    _traffic.AddSent(buffer.Length);
                    _peer._traffic.AddReceived(buffer.Length);
                    var flushed = await peer.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled) break;
                }
                if (result.IsCompleted) break;
            }
        }
        catch (InvalidOperationException) { } // the peer's pipe was completed under us: it closed
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await peer.CompleteAsync().ConfigureAwait(false); // the peer reads to the end, then sees the connection closed
            Closed();
            _peer.Closed();
            _peer.ToSend.Reader.CancelPendingRead();
        }
    }
}
