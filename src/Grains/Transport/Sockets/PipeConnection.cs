using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// What Orleans's messaging needs of a connection, over two pipes: it reads what arrived from
/// <see cref="Received"/> and writes what to send into <see cref="ToSend"/>; a subclass moves the
/// bytes (a socket, or the other end in this process) and calls <see cref="Closed"/> when it ends.
/// </summary>
internal abstract class PipeConnection : ConnectionContext, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature, IConnectionLifetimeFeature
{
    protected static readonly PipeOptions Options = new(minimumSegmentSize: 64 * 1024, pauseWriterThreshold: 64L << 20, resumeWriterThreshold: 32L << 20,
        readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false);
    private static long _lastId;

    private readonly CancellationTokenSource _closed = new();
    private int _closing;

    protected PipeConnection(string kind, EndPoint? local, EndPoint? remote)
    {
        (LocalEndPoint, RemoteEndPoint) = (local, remote);
        ConnectionId = $"{kind}-{Interlocked.Increment(ref _lastId)}";
        Interlocked.Increment(ref BulkSocketTransport.Opened);
        Transport = new DuplexPipe(Received.Reader, ToSend.Writer);
        Features = new FeatureCollection();
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(new EndPoints(this));
        ConnectionClosed = _closed.Token;
    }

    protected Pipe Received { get; } = new(Options);
    protected Pipe ToSend { get; } = new(Options);

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Completes both pipes, waits for <paramref name="movers"/> (the loops that move the bytes), releases the rest.</summary>
    protected async ValueTask DisposeAsync(params Task[] movers)
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        await Task.WhenAll(movers).ConfigureAwait(false);
        _closed.Dispose();
    }

    /// <summary>The connection ended: Orleans hears it through <see cref="ConnectionClosed"/>, off this thread.</summary>
    protected void Closed()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static c => { try { c._closed.Cancel(); } catch (ObjectDisposedException) { } }, this, preferLocal: false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class EndPoints(PipeConnection connection) : IConnectionEndPointFeature
    {
        public EndPoint? LocalEndPoint { get => connection.LocalEndPoint; set => connection.LocalEndPoint = value; }
        public EndPoint? RemoteEndPoint { get => connection.RemoteEndPoint; set => connection.RemoteEndPoint = value; }
    }
}
