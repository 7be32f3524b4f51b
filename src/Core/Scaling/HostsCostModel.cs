namespace Trainer.Core.Scaling;

/// <summary>
/// The step time of one parameter server and N workers, one per host, each host one core behind its
/// link, with constants fitted to the harness's runs (<see cref="HostRun"/>) rather than to loopback:
///   compute   c₀ + c·R                           (R rows per host; measured on a cluster host, where
///                                                 the worker shares its core with the silo)
///   transfer  α + 2·rtt + D·(γ + κ/β) + w·compute (D = 2·(N−1)·M, the server link's bytes per step,
///                                                 both rounds; β the link's rate; γ the server host's CPU
///                                                 per byte: serialising, copying, the network stack on
///                                                 its one core; κ how much longer than the wire's
///                                                 nominal time a byte takes (tbf's bursts, TCP);
///                                                 w the wait at the barrier for the slowest worker,
///                                                 a share of compute)
///   update    u·P
/// The effective rate of a link is 1 / (γ + κ/β): the CPU and the wire in series.
/// </summary>
public sealed record HostsCostModel(double ComputeFixedMs, double ComputePerRowMs, double OverheadMs, double CpuMsPerByte, double WireFactor,
    double WaitPerComputeMs, double UpdatePerParameterMs, int Parameters)
{
    public double ModelBytes => 4.0 * Parameters;

    public double ComputeMs(int rows) => ComputeFixedMs + ComputePerRowMs * rows;

    /// <summary>Bytes the server's link carries per step, both rounds.</summary>
    public double ServerLinkBytes(int hosts) => NetworkLink.RoundsPerStep * NetworkLink.BusiestLinkBytes(hosts, 1, ModelBytes)!.Value;

    /// <summary>Milliseconds per byte on a link: the sending host's CPU, then the wire.</summary>
    public double MsPerByte(NetworkLink link) => CpuMsPerByte + (double.IsPositiveInfinity(link.BitsPerSecond) ? 0 : WireFactor / link.BytesPerMs);

    /// <summary>What the vectors move at over this link, in bits per second.</summary>
    public double EffectiveBitsPerSecond(NetworkLink link) => 8000 / MsPerByte(link);

    public double TransferMs(int hosts, int rows, NetworkLink link) =>
        hosts == 1 ? 0 : OverheadMs + NetworkLink.RoundsPerStep * link.RoundTripMs + ServerLinkBytes(hosts) * MsPerByte(link) + WaitPerComputeMs * ComputeMs(rows);

    public double UpdateMs => UpdatePerParameterMs * Parameters;

    public double StepMs(int hosts, int rows, NetworkLink link) => ComputeMs(rows) + TransferMs(hosts, rows, link) + UpdateMs;

    public double SamplesPerSecond(int hosts, int rows, NetworkLink link) => 1000.0 * hosts * rows / StepMs(hosts, rows, link);

    /// <summary>
    /// Fits the constants: compute against rows per host, communication against the server link's
    /// bytes, their nominal wire time and the compute (least squares), update per parameter. Needs
    /// runs at two or more rows per host; κ needs two or more link rates (else the nominal 1); α and γ
    /// are told apart only by runs at two or more host counts: with one, the whole fixed part is taken
    /// as CPU per byte, the cautious reading (it grows with the hosts).
    /// </summary>
    public static HostsCostModel Fit(IReadOnlyList<HostRun> runs)
    {
        if (runs.Count == 0) throw new UserInputException("the harness file has no runs");
        var parameters = runs[0].Parameters;
        if (runs.Any(r => r.Parameters != parameters))
            throw new UserInputException("the harness file mixes models (bytes per step ÷ hosts differ): fit one model's runs at a time");
        // the constants are per host core: hosts of another size are another machine
        if (runs.Select(r => r.CpusPerHost).Distinct().Count() > 1)
            throw new UserInputException($"the harness file mixes hosts of {string.Join(" and ", runs.Select(r => r.CpusPerHost).Distinct())} vCPUs (scaleout.sh --cpus): fit one size at a time");
        if (runs.Select(r => r.RowsPerHost).Distinct().Count() < 2)
            throw new UserInputException("the harness file needs runs at two or more rows per host (scaleout.sh --rows \"128 1024\") to fit the compute time");
        var (c0, c) = CostModel.LeastSquares(runs.Select(r => ((double)r.RowsPerHost, r.ComputeMs)));
        var update = runs.Average(r => r.UpdateMs) / parameters;

        var model = new HostsCostModel(Math.Max(0, c0), c, 0, 0, 1, 0, update, parameters);
        var hostCounts = runs.Select(r => r.Hosts).Distinct().Count() > 1;
        var rates = runs.Select(r => r.Link.BitsPerSecond).Distinct().Count() > 1;
        // columns: 1, D, D/β (nominal wire), compute; the unidentified ones are left out
        double[] Row(HostRun r)
        {
            var bytes = model.ServerLinkBytes(r.Hosts);
            var wire = double.IsPositiveInfinity(r.Link.BitsPerSecond) ? 0 : bytes / r.Link.BytesPerMs;
            return [1, bytes, wire, r.ComputeMs];
        }
        var use = new[] { hostCounts, true, rates, true };
        var x = runs.Select(r => Row(r).Where((_, i) => use[i]).ToArray()).ToArray();
        var y = runs.Select(r => r.CommunicationMs - NetworkLink.RoundsPerStep * r.Link.RoundTripMs - (rates ? 0 : model.ServerLinkBytes(r.Hosts) * model.MsPerByte(r.Link))).ToArray();
        var beta = LinearFit.Solve(x, y);
        var k = 0;
        double Next(bool used) => used ? beta[k++] : 0;
        var (alpha, gamma, kappa, wait) = (Next(hostCounts), Next(true), Next(rates), Next(true));
        return model with
        {
            OverheadMs = Math.Max(0, alpha),
            CpuMsPerByte = Math.Max(0, gamma),
            WireFactor = rates ? Math.Max(0, kappa) : 1,
            WaitPerComputeMs = Math.Max(0, wait),
        };
    }
}
