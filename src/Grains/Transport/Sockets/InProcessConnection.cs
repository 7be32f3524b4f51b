using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// One end of a connection whose two ends live in this process (the silos of an embedded cluster,
/// and the trainer's client to their gateways). Orleans's messages go from one end's send pipe into
/// the other's receive pipe in one copy: no system calls, no kernel copies, no loopback TCP. Each
/// end counts its traffic as a socket would, so the wire's counters stay true.
/// </summary>
internal sealed class InProcessConnection : ConnectionContext, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature, IConnectionLifetimeFeature
{
    private static readonly PipeOptions Options = new(minimumSegmentSize: 64 * 1024, pauseWriterThreshold: 64L << 20, resumeWriterThreshold: 32L << 20,
        readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false);
    private static long _lastId;

    private readonly Pipe _received = new(Options), _toSend = new(Options);
    private readonly CancellationTokenSource _closed = new();
    private readonly TrafficCounter _traffic;
    private InProcessConnection _peer = null!;
    private Task _sending = Task.CompletedTask;
    private int _closing;

    private InProcessConnection(EndPoint local, EndPoint remote, TrafficCounter traffic)
    {
        (LocalEndPoint, RemoteEndPoint, _traffic) = (local, remote, traffic);
        ConnectionId = $"in-process-{Interlocked.Increment(ref _lastId)}";
        Interlocked.Increment(ref BulkSocketTransport.Opened);
        Transport = new DuplexPipe(_received.Reader, _toSend.Writer);
        Features = new FeatureCollection();
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(new EndPoints(this));
        ConnectionClosed = _closed.Token;
    }

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

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _toSend.Reader.CancelPendingRead();

    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        _toSend.Reader.CancelPendingRead();
        await _sending.ConfigureAwait(false);
        _closed.Dispose();
    }

    /// <summary>What Orleans wrote here goes into the peer's receive pipe; when either side stops, both ends close.</summary>
    private async Task SendLoop()
    {
        var reader = _toSend.Reader;
        var peer = _peer._received.Writer;
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
            Close();
            _peer.Close();
            _peer._toSend.Reader.CancelPendingRead();
        }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static c => { try { c._closed.Cancel(); } catch (ObjectDisposedException) { } }, this, preferLocal: false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class EndPoints(InProcessConnection connection) : IConnectionEndPointFeature
    {
        public EndPoint? LocalEndPoint { get => connection.LocalEndPoint; set => connection.LocalEndPoint = value; }
        public EndPoint? RemoteEndPoint { get => connection.RemoteEndPoint; set => connection.RemoteEndPoint = value; }
    }
}
