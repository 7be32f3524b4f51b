using System.Globalization;
using Trainer.Core;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Where training runs, from <c>--cluster</c>: <c>local</c> (the reference trainer, no Orleans),
/// <c>embedded[:N]</c> (N silos in this process), <c>localhost:PORT[,PORT...]</c> (gateways of silo
/// processes with localhost clustering) or <c>redis://HOST:PORT</c> (Redis membership).
/// </summary>
public sealed record ClusterSpec(string Kind, int EmbeddedSilos = 0, int[]? GatewayPorts = null, string? Redis = null)
{
    public const string Local = "local", Embedded = "embedded", Localhost = "localhost", RedisKind = "redis";
    public static ClusterSpec Default { get; } = new(Embedded, EmbeddedSilos: 2);

    public bool IsLocal => Kind == Local;

    public static ClusterSpec Parse(string text)
    {
        if (text == Local) return new(Local);
        if (text == Embedded) return Default;
        if (text.StartsWith("embedded:", StringComparison.Ordinal))
        {
            if (!int.TryParse(text["embedded:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var silos) || silos < 1 || silos > 16)
                throw new UserInputException($"--cluster '{text}': embedded:N needs N between 1 and 16 silos");
            return new(Embedded, EmbeddedSilos: silos);
        }
        if (text.StartsWith("localhost:", StringComparison.Ordinal))
        {
            var ports = text["localhost:".Length..].Split(',');
            var parsed = new int[ports.Length];
            for (var i = 0; i < ports.Length; i++)
                if (!int.TryParse(ports[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]) || parsed[i] < 1 || parsed[i] > 65535)
                    throw new UserInputException($"--cluster '{text}': '{ports[i]}' is not a port number");
            return new(Localhost, GatewayPorts: parsed);
        }
        if (text.StartsWith("redis://", StringComparison.Ordinal))
        {
            var endpoint = text["redis://".Length..].TrimEnd('/');
            if (endpoint.Length == 0 || !endpoint.Contains(':'))
                throw new UserInputException($"--cluster '{text}': expected redis://HOST:PORT");
            return new(RedisKind, Redis: endpoint);
        }
        throw new UserInputException($"--cluster '{text}' is not one of local, embedded[:N], localhost:PORT[,PORT...], redis://HOST:PORT");
    }

    public override string ToString() => Kind switch
    {
        Embedded => $"embedded:{EmbeddedSilos}",
        Localhost => $"localhost:{string.Join(",", GatewayPorts!)}",
        RedisKind => $"redis://{Redis}",
        _ => Kind,
    };
}
