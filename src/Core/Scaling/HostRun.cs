namespace Trainer.Core.Scaling;

/// <summary>
/// One run of the emulated-hosts harness (bench/hosts/scaleout.sh --json): weak scaling at
/// <c>RowsPerHost</c> rows per host per step on <c>Hosts</c> hosts behind links of
/// <c>Link.BitsPerSecond</c>, against one host alone; the step split is the many-host run's.
/// <c>CpusPerHost</c> vCPUs each. <c>BytesPerStep</c> is 2·N·M (weights out to every worker and gradients back, M = 4P bytes).
/// </summary>
public sealed record HostRun(int Hosts, NetworkLink Link, int RowsPerHost, double OneHostSamplesPerSecond, double SamplesPerSecond,
    double ComputeMs, double CommunicationMs, double UpdateMs, long BytesPerStep, double CpusPerHost = 1)
{
    public double ModelBytes => BytesPerStep / (2.0 * Hosts);

    public int Parameters => (int)Math.Round(ModelBytes / 4);

    public double Efficiency => SamplesPerSecond / (Hosts * OneHostSamplesPerSecond);
}
