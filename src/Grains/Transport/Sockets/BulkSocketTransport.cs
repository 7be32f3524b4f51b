using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Trainer.Grains.Transport.Sockets;

/// <summary>
/// Puts <see cref="BulkSocketConnection"/> under Orleans's messaging: silo-to-silo connections,
/// both listeners, and a client's gateway connections. Orleans resolves its transports as keyed
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

    private sealed class Connector(TrafficCounter traffic) : IConnectionFactory
    {
        public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellation = default)
        {
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

    private sealed class Listener(Socket socket, TrafficCounter traffic) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellation = default)
        {
            while (true)
            {
                try
                {
                    return new BulkSocketConnection(await socket.AcceptAsync(cancellation).ConfigureAwait(false), traffic);
                }
                catch (ObjectDisposedException) { return null; } // unbound
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return null; }
                catch (SocketException) { } // a connection reset before it was accepted: take the next
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellation = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
