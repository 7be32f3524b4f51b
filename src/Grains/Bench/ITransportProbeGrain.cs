using Trainer.Grains.Transport;

namespace Trainer.Grains.Bench;

/// <summary>
/// The transport benchmark's two ends, keyed "bench/0" and "bench/1" so that spread placement puts
/// them on different silos: the first times weight pulls and gradient pushes against the second,
/// the way the parameter server and a worker exchange them, silo to silo without the client.
/// </summary>
public interface ITransportProbeGrain : IGrainWithStringKey
{
    /// <summary>Round trips to <paramref name="peer"/>, each a pull then a push of <paramref name="floats"/> floats: their times in ms, and both silos.</summary>
    Task<TransportTimes> Measure(string peer, int floats, int rounds, int warmup);

    /// <summary>A vector of this length (the weights a worker is sent).</summary>
    Task<FloatVector> Pull(int floats);

    /// <summary>Receives a vector (the gradient a worker returns).</summary>
    Task Push(FloatVector vector);

    Task<string> Silo();

    /// <summary>What this probe's silo process has put on the wire so far, by kind of connection.</summary>
    Task<TransportTraffic> Traffic();
}

/// <summary>Bytes a silo process sent and received between silos and on its gateway (its clients' connections).</summary>
[GenerateSerializer, Immutable, Alias("trainer.transport-traffic")]
public sealed record TransportTraffic([property: Id(0)] string Silo, [property: Id(1)] long SiloSent, [property: Id(2)] long SiloReceived,
    [property: Id(3)] long GatewaySent, [property: Id(4)] long GatewayReceived);

[GenerateSerializer, Immutable, Alias("trainer.transport-times")]
public sealed record TransportTimes([property: Id(0)] double[] PullMs, [property: Id(1)] double[] PushMs, [property: Id(2)] string From, [property: Id(3)] string To);
