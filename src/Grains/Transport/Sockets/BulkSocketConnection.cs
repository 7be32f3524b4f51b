using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// One TCP connection between silos (or a client and a gateway) for Orleans's messaging, reading
/// the socket in large blocks. Orleans's own socket transport receives into 4 KB pool blocks: a
/// 0.8 MB weight or gradient message took about 400 receive calls and as many wake-ups of the
/// message reader (strace; docs/architecture.md), which made up most of its time on the wire.
/// </summary>
internal sealed class BulkSocketConnection : ConnectionContext, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature, IConnectionLifetimeFeature
{
    /// <summary>The least room a receive gets: a whole vector arrives in a few calls.</summary>
    private const int ReceiveBlock = 256 * 1024;
    private static readonly PipeOptions Options = new(minimumSegmentSize: 64 * 1024, pauseWriterThreshold: 64L << 20, resumeWriterThreshold: 32L << 20,
        readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false);
    private static long _lastId;

    private readonly Socket _socket;
    private readonly Pipe _received = new(Options), _toSend = new(Options);
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _receiving, _sending;
    private int _shutDown;

    private readonly TrafficCounter _traffic;

    public BulkSocketConnection(Socket socket, TrafficCounter traffic)
    {
        _socket = socket;
        _traffic = traffic;
        _socket.NoDelay = true;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionId = $"bulk-{Interlocked.Increment(ref _lastId)}";
        Interlocked.Increment(ref BulkSocketTransport.Opened);
        Transport = new DuplexPipe(_received.Reader, _toSend.Writer);
        Features = new FeatureCollection();
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(new EndPoints(this));
        ConnectionClosed = _closed.Token;
        _receiving = Task.Run(ReceiveLoop);
        _sending = Task.Run(SendLoop);
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown();
        _toSend.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        Shutdown();
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        _closed.Dispose();
    }

    private async Task ReceiveLoop()
    {
        Exception? error = null;
        var writer = _received.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(ReceiveBlock);
                var received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0) break; // the peer closed the connection
                _traffic.AddReceived(received);
                writer.Advance(received);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = _shutDown == 0 ? new ConnectionResetException(e.Message, e) : null;
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
            Closed();
        }
    }

    private async Task SendLoop()
    {
        var reader = _toSend.Reader;
        var segments = new List<ArraySegment<byte>>();
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await Send(buffer, segments).ConfigureAwait(false);
                    _traffic.AddSent(buffer.Length);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the connection is gone; the receive loop reports it
        }
        finally
        {
            Shutdown();
            await reader.CompleteAsync().ConfigureAwait(false);
            _received.Writer.CancelPendingFlush();
        }
    }

    /// <summary>All pending segments in one gathering send where they are arrays (they are, from the pipe's pool).</summary>
    private async ValueTask Send(ReadOnlySequence<byte> buffer, List<ArraySegment<byte>> segments)
    {
        if (buffer.IsSingleSegment)
        {
            var memory = buffer.First;
            while (!memory.IsEmpty) memory = memory[await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false)..];
            return;
        }
        segments.Clear();
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array)) throw new InvalidOperationException("pipe memory is not an array");
            segments.Add(array);
        }
        await _socket.SendAsync(segments, SocketFlags.None).ConfigureAwait(false); // completes when all bytes are sent
    }

    private void Shutdown()
    {
        if (Interlocked.Exchange(ref _shutDown, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    private void Closed() => ThreadPool.UnsafeQueueUserWorkItem(static c => { try { c._closed.Cancel(); } catch (ObjectDisposedException) { } }, this, preferLocal: false);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class EndPoints(BulkSocketConnection connection) : IConnectionEndPointFeature
    {
        public EndPoint? LocalEndPoint { get => connection.LocalEndPoint; set => connection.LocalEndPoint = value; }
        public EndPoint? RemoteEndPoint { get => connection.RemoteEndPoint; set => connection.RemoteEndPoint = value; }
    }
}
