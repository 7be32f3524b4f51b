namespace Trainer.Core.Scaling;

/// <summary>
/// What one measured synchronous step cost, split as the reports split it. <c>ComputingWorkers</c>
/// is how many workers really computed at once: on a machine with fewer cores than workers × threads,
/// fewer than <c>Workers</c>.
/// </summary>
public sealed record StepSample(int Batch, int Workers, int Shards, long BytesPerStep, double ComputeMs, double CommunicationMs, double UpdateMs, int ComputingWorkers)
{
    public double StepMs => ComputeMs + CommunicationMs + UpdateMs;
}

/// <summary>
/// The time of a synchronous data-parallel step with N workers and S parameter-server shards:
///   compute   c₀ + c·B/N                    (each worker's share of the global batch B)
///   transfer  α + max(V/S, 2M)/β            (V = M·2N: the weights out to every worker and a gradient back;
///                                           the servers' links carry V/S each, a worker's link 2M)
///   update    u·P/S                         (each shard updates its P/S parameters)
/// with M = 4P bytes for P parameters. The step is their sum (no overlap: the update needs every
/// gradient, the next step the new weights). The constants come from measured steps by least
/// squares; past N where V/S outgrows compute, adding workers stops paying: a single server saturates.
/// </summary>
public sealed record CostModel(double ComputeFixedMs, double ComputePerSampleMs, double LatencyMs, double BytesPerMs, double UpdatePerParameterMs, int Parameters)
{
    public double ModelBytes => 4.0 * Parameters;

    public double ComputeMs(int batch, int workers) => ComputeFixedMs + ComputePerSampleMs * batch / workers;

    public double TransferMs(int workers, int shards) =>
        LatencyMs + Math.Max(2 * workers * ModelBytes / shards, 2 * ModelBytes) / BytesPerMs;

    public double UpdateMs(int shards) => UpdatePerParameterMs * Parameters / shards;

    /// <param name="computingWorkers">Workers computing at once (default: all, each on its own machine).</param>
    public double StepMs(int batch, int workers, int shards, int? computingWorkers = null) =>
        ComputeMs(batch, computingWorkers ?? workers) + TransferMs(workers, shards) + UpdateMs(shards);

    public double SamplesPerSecond(int batch, int workers, int shards) => 1000.0 * batch / StepMs(batch, workers, shards);

    /// <summary>
    /// The transfer with each worker on its own host behind <paramref name="link"/>: what loopback
    /// measured (messaging, and the CPU that serialises and copies the bytes, which a network does not
    /// take away) plus a round trip per round and the busiest link's wire time (<see cref="NetworkLink.WireMs"/>).
    /// </summary>
    public double TransferMs(int workers, int shards, NetworkLink link) =>
        TransferMs(workers, shards) + NetworkLink.RoundsPerStep * link.RoundTripMs + (double.IsPositiveInfinity(link.BitsPerSecond) ? 0 : link.WireMs(workers, shards, ModelBytes));

    public double SamplesPerSecond(int batch, int workers, int shards, NetworkLink link) =>
        1000.0 * batch / (ComputeMs(batch, workers) + TransferMs(workers, shards, link) + UpdateMs(shards));

    /// <summary>The worker count (of those given) after which doubling the workers adds less than <paramref name="gain"/> throughput.</summary>
    public int Saturation(int batch, int shards, IReadOnlyList<int> workerCounts, double gain = 0.1)
    {
        for (var i = 0; i + 1 < workerCounts.Count; i++)
            if (SamplesPerSecond(batch, workerCounts[i + 1], shards) < (1 + gain) * SamplesPerSecond(batch, workerCounts[i], shards))
                return workerCounts[i];
        return workerCounts[^1];
    }

    /// <summary>
    /// Fits the constants to measured steps: compute against rows per worker, communication against
    /// the bytes the busiest link carried, update per parameter (per shard). Needs steps at two or
    /// more rows per worker and, for the transfer, at two or more byte counts with communication measured.
    /// </summary>
    public static CostModel Fit(IReadOnlyList<StepSample> samples, int parameters)
    {
        if (samples.Select(s => (double)s.Batch / s.ComputingWorkers).Distinct().Count() < 2)
            throw new UserInputException("--project needs runs at two or more rows per worker (batch / workers) to fit the compute time");
        var transfer = samples.Where(s => s.CommunicationMs > 0).ToArray();
        if (transfer.Select(s => s.BytesPerStep / s.Shards).Distinct().Count() < 2)
            throw new UserInputException("--project needs cluster runs with two or more worker counts to fit latency and bandwidth (communication is not measured with --cluster local)");

        var (computeFixed, computePerSample) = LeastSquares(samples.Select(s => ((double)s.Batch / s.ComputingWorkers, s.ComputeMs)));
        var (latency, msPerByte) = LeastSquares(transfer.Select(s => (Math.Max((double)s.BytesPerStep / s.Shards, 8.0 * parameters), s.CommunicationMs)));
        var update = samples.Average(s => s.UpdateMs * s.Shards) / parameters;
        return new CostModel(Math.Max(0, computeFixed), computePerSample, Math.Max(0, latency), msPerByte > 0 ? 1 / msPerByte : double.PositiveInfinity, update, parameters);
    }

    /// <summary>Ordinary least squares y = a + b·x.</summary>
    public static (double Intercept, double Slope) LeastSquares(IEnumerable<(double X, double Y)> points)
    {
        var p = points.ToArray();
        var (mx, my) = (p.Average(q => q.X), p.Average(q => q.Y));
        var sxx = p.Sum(q => (q.X - mx) * (q.X - mx));
        var slope = sxx == 0 ? 0 : p.Sum(q => (q.X - mx) * (q.Y - my)) / sxx;
        return (my - slope * mx, slope);
    }
}
