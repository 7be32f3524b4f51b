using System.Diagnostics;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Bench;

[SpreadPlacement]
public sealed class TransportProbeGrain(ILocalSiloDetails silo) : Grain, ITransportProbeGrain
{
    private FloatVector? _vector;

    public async Task<TransportTimes> Measure(string peer, int floats, int rounds, int warmup)
    {
        var other = GrainFactory.GetGrain<ITransportProbeGrain>(peer);
        var gradient = Vector(floats);
        var (pulls, pushes) = (new double[rounds], new double[rounds]);
        for (var r = -warmup; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            var weights = await other.Pull(floats);
            var pulled = clock.Elapsed.TotalMilliseconds;
            if (weights.Values.Length != floats) throw new InvalidDataException($"pulled {weights.Values.Length} floats, expected {floats}");
            await other.Push(gradient);
            if (r < 0) continue;
            pulls[r] = pulled;
            pushes[r] = clock.Elapsed.TotalMilliseconds - pulled;
        }
        return new TransportTimes(pulls, pushes, silo.SiloAddress.ToString(), await other.Silo());
    }

    public Task<FloatVector> Pull(int floats) => Task.FromResult(Vector(floats));

    public Task Push(FloatVector vector) => Task.CompletedTask;

    public Task<string> Silo() => Task.FromResult(silo.SiloAddress.ToString());

    public Task<TransportTraffic> Traffic() => Task.FromResult(new TransportTraffic(silo.SiloAddress.ToString(),
        Transport.Sockets.Traffic.SiloToSilo.Sent, Transport.Sockets.Traffic.SiloToSilo.Received,
        Transport.Sockets.Traffic.Gateway.Sent, Transport.Sockets.Traffic.Gateway.Received));

    private FloatVector Vector(int floats)
    {
        if (_vector?.Values.Length != floats)
        {
            var values = new float[floats];
            for (var i = 0; i < floats; i++) values[i] = i * 1e-3f;
            _vector = new FloatVector(values);
        }
        return _vector;
    }
}
