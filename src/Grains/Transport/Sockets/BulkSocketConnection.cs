using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// One TCP connection between silos (or a client and a gateway) for Orleans's messaging, reading
/// the socket in large blocks. Orleans's own socket transport receives into 4 KB pool blocks: a
/// 0.8 MB weight or gradient message took about 400 receive calls and as many wake-ups of the
/// message reader (strace; docs/architecture.md), which made up most of its time on the wire.
/// </summary>
internal sealed class BulkSocketConnection : PipeConnection
{
    /// <summary>The least room a receive gets: a whole vector arrives in a few calls.</summary>
    private const int ReceiveBlock = 256 * 1024;

    private readonly Socket _socket;
    private readonly Task _receiving, _sending;
    private int _shutDown;

    private readonly TrafficCounter _traffic;

    public BulkSocketConnection(Socket socket, TrafficCounter traffic) : base("bulk", socket.LocalEndPoint, socket.RemoteEndPoint)
    {
        _socket = socket;
        _traffic = traffic;
        _socket.NoDelay = true;
        _receiving = Task.Run(ReceiveLoop);
        _sending = Task.Run(SendLoop);
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown();
        ToSend.Reader.CancelPendingRead();
    }

    public override ValueTask DisposeAsync()
    {
        Shutdown();
        return DisposeAsync(_receiving, _sending);
    }

    private async Task ReceiveLoop()
    {
        Exception? error = null;
        var writer = Received.Writer;
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
        var reader = ToSend.Reader;
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
            Received.Writer.CancelPendingFlush();
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
}
