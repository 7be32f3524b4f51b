using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// Puts <see cref="BulkSocketConnection"/> under Orleans's messaging: silo-to-silo connections,
/// both listeners, and a client's gateway connections. A connection to a listener of this same
/// process (the silos of an embedded cluster, the trainer's client to their gateways) takes an
/// <see cref="InProcessConnection"/> instead: a pipe pair, no socket. Orleans resolves its transports as keyed
/// services whose keys are internal; they are looked up by name, and a missing one stops start-up
/// with a clear error rather than silently falling back (a test starts a cluster on this transport).
/// </summary>
public static class BulkSocketTransport
{
    internal static long Opened;

    /// <summary>Connections this process opened or accepted on this transport (a test shows that Orleans uses it).</summary>
    public static long ConnectionsOpened => Interlocked.Read(ref Opened);

    public static void AddToSilo(IServiceCollection services)
    {
        services.AddKeyedSingleton<IConnectionFactory>(KeyOf("Orleans.Runtime.Messaging.SiloConnectionFactory, Orleans.Runtime"), (_, _) => new Connector(Traffic.SiloToSilo));
        services.AddKeyedSingleton<IConnectionListenerFactory>(KeyOf("Orleans.Runtime.Messaging.SiloConnectionListener, Orleans.Runtime"), (_, _) => new ListenerFactory(Traffic.SiloToSilo));
        services.AddKeyedSingleton<IConnectionListenerFactory>(KeyOf("Orleans.Runtime.Messaging.GatewayConnectionListener, Orleans.Runtime"), (_, _) => new ListenerFactory(Traffic.Gateway));
    }

    public static void AddToClient(IServiceCollection services) =>
        services.AddKeyedSingleton<IConnectionFactory>(KeyOf("Orleans.Runtime.Messaging.ClientOutboundConnectionFactory, Orleans.Core"), (_, _) => new Connector(Traffic.Client));

    private static object KeyOf(string type) =>
        Type.GetType(type)?.GetField("ServicesKey", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
        ?? throw new InvalidOperationException($"this Orleans version has no {type}.ServicesKey: the bulk socket transport cannot be installed");

    /// <summary>The listeners of this process by port: a connection to one of them needs no socket.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Listener> InProcess = new();

    private sealed class Connector(TrafficCounter traffic) : IConnectionFactory
    {
        public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellation = default)
        {
            if (endpoint is IPEndPoint { Address: var address, Port: var port } && IPAddress.IsLoopback(address)
                && InProcess.TryGetValue(port, out var listener) && listener.TryAcceptInProcess(traffic) is { } connection)
                return connection;
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
            try
            {
                await socket.ConnectAsync(endpoint, cancellation).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            return new BulkSocketConnection(socket, traffic);
        }
    }

    private sealed class ListenerFactory(TrafficCounter traffic) : IConnectionListenerFactory
    {
        public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellation = default)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (endpoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            try
            {
                socket.Bind(endpoint);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                socket.Dispose();
                throw new AddressInUseException(e.Message, e);
            }
            socket.Listen(512);
            return ValueTask.FromResult<IConnectionListener>(new Listener(socket, traffic));
        }
    }

    /// <summary>A bound socket's connections, and those of this process's own connectors (over a pipe pair), in the order they come.</summary>
    private sealed class Listener : IConnectionListener
    {
        private readonly Socket _socket;
        private readonly TrafficCounter _traffic;
        private readonly System.Threading.Channels.Channel<ConnectionContext> _accepted = System.Threading.Channels.Channel.CreateUnbounded<ConnectionContext>();
        private readonly int _port;

        public Listener(Socket socket, TrafficCounter traffic)
        {
            (_socket, _traffic) = (socket, traffic);
            EndPoint = socket.LocalEndPoint!;
            _port = ((IPEndPoint)EndPoint).Port;
            InProcess[_port] = this;
            _ = AcceptSockets();
        }

        public EndPoint EndPoint { get; }

        /// <summary>The connecting end of a new in-process connection, or null once unbound (then the socket path fails as it would).</summary>
        public ConnectionContext? TryAcceptInProcess(TrafficCounter connecting)
        {
            var (connectingEnd, acceptedEnd) = InProcessConnection.Pair(EndPoint, connecting, _traffic);
            if (_accepted.Writer.TryWrite(acceptedEnd)) return connectingEnd;
            _ = connectingEnd.DisposeAsync();
            return null;
        }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellation = default)
        {
            try
            {
                return await _accepted.Reader.ReadAsync(cancellation).ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException) { return null; } // unbound
        }

        private async Task AcceptSockets()
        {
            while (true)
            {
                try
                {
                    var connection = new BulkSocketConnection(await _socket.AcceptAsync().ConfigureAwait(false), _traffic);
                    if (!_accepted.Writer.TryWrite(connection)) await connection.DisposeAsync().ConfigureAwait(false);
                }
                catch (ObjectDisposedException) { return; } // unbound
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return; }
                catch (SocketException) { } // a connection reset before it was accepted: take the next
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellation = default)
        {
            InProcess.TryRemove(new(_port, this));
            _accepted.Writer.TryComplete();
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => UnbindAsync();
    }
}
