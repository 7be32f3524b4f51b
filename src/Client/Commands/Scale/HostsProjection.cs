using System.Text;
using Trainer.Core;
using Trainer.Core.Scaling;

namespace Trainer.Client.Commands.Scale;

/// <summary>
/// <c>trainer scale --project --from-harness FILE</c>: the network-aware cost model fitted to the
/// emulated-hosts harness's runs, checked against each of them (fitted to all, and to all but that
/// run: the honest check), then projected as efficiency to 64 hosts at the file's link rates and
/// those of <c>--link</c>.
/// </summary>
public static class HostsProjection
{
    private static readonly int[] HostCounts = [2, 4, 8, 16, 32, 64];

    /// <param name="held">Runs the fit never saw (--against), e.g. at more hosts: predicted, each against what it measured.</param>
    public static string Describe(IReadOnlyList<HostRun> runs, IReadOnlyList<double> extraRates, double roundTripMs, IReadOnlyList<HostRun>? held = null)
    {
        var model = HostsCostModel.Fit(runs);
        var text = new StringBuilder();
        text.AppendLine($"cost model fitted to {runs.Count} harness runs ({model.Parameters:N0} parameters; hosts {string.Join(',', runs.Select(r => r.Hosts).Distinct().Order())} of {runs[0].CpusPerHost:0.##} vCPU): " +
                        $"compute {model.ComputeFixedMs:F3} ms + {model.ComputePerRowMs * 1000:F2} µs per row; transfer {model.OverheadMs:F3} ms + server-link bytes at " +
                        $"{Gbit(8000 / model.CpuMsPerByte)} of CPU and {model.WireFactor:F2}× the wire's time, + {model.WaitPerComputeMs * 100:F0}% of compute waiting at the barrier; " +
                        $"update {model.UpdatePerParameterMs * 1e6:F2} ns per parameter");
        var rates = runs.Select(r => r.Link.BitsPerSecond).Concat(extraRates).Distinct().OrderByDescending(r => r).ToArray();
        text.AppendLine("the vectors move at: " + string.Join("; ", rates.Select(r => $"{Name(r)} {Gbit(model.EffectiveBitsPerSecond(new NetworkLink(r)))}")));

        text.AppendLine($"{"link",-8}{"rows",6}{"hosts",6}{"measured/s",12}{"fitted/s",10}{"error",8}{"left out/s",12}{"error",8}");
        var errors = new List<double>();
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var fitted = model.SamplesPerSecond(r.Hosts, r.RowsPerHost, r.Link);
            double? left = null;
            try { left = HostsCostModel.Fit([.. runs.Where((_, j) => j != i)]).SamplesPerSecond(r.Hosts, r.RowsPerHost, r.Link); }
            catch (UserInputException) { } // too few runs left to fit every constant
            if (left is { } l) errors.Add(Math.Abs(l - r.SamplesPerSecond) / r.SamplesPerSecond);
            text.AppendLine($"{Name(r.Link.BitsPerSecond),-8}{r.RowsPerHost,6}{r.Hosts,6}{r.SamplesPerSecond,12:N0}{fitted,10:N0}{Error(fitted, r.SamplesPerSecond),8}" +
                            $"{(left is { } v ? v.ToString("N0") : "-"),12}{(left is { } w ? Error(w, r.SamplesPerSecond) : "-"),8}");
        }
        if (errors.Count > 0) text.AppendLine($"each run predicted from the others: mean absolute error {100 * errors.Average():F0}%, largest {100 * errors.Max():F0}%");

        if (held is { Count: > 0 })
        {
            text.AppendLine($"{"link",-8}{"rows",6}{"hosts",6}{"measured/s",12}{"predicted/s",13}{"error",8}{"comm ms",9}{"predicted",11}{"compute",9}{"predicted",11}   (--against: runs the fit did not see)");
            var misses = new List<double>();
            foreach (var r in held)
            {
                var predicted = model.SamplesPerSecond(r.Hosts, r.RowsPerHost, r.Link);
                misses.Add(Math.Abs(predicted - r.SamplesPerSecond) / r.SamplesPerSecond);
                text.AppendLine($"{Name(r.Link.BitsPerSecond),-8}{r.RowsPerHost,6}{r.Hosts,6}{r.SamplesPerSecond,12:N0}{predicted,13:N0}{Error(predicted, r.SamplesPerSecond),8}" +
                                $"{r.CommunicationMs,9:F2}{model.TransferMs(r.Hosts, r.RowsPerHost, r.Link),11:F2}{r.ComputeMs,9:F2}{model.ComputeMs(r.RowsPerHost),11:F2}");
            }
            text.AppendLine($"runs the fit did not see: mean absolute error {100 * misses.Average():F0}%, largest {100 * misses.Max():F0}%");
        }

        text.AppendLine($"projected efficiency (samples/s on N hosts ÷ N × one host, weak scaling, one server{(roundTripMs > 0 ? $", round trip {roundTripMs:0.###} ms" : "")}):");
        text.AppendLine($"{"link",-8}{"rows",6}" + string.Concat(HostCounts.Select(n => $"{$"N={n}",8}")));
        foreach (var rate in rates)
            foreach (var rows in runs.Select(r => r.RowsPerHost).Distinct().Order())
            {
                var one = runs.Where(r => r.RowsPerHost == rows).Average(r => r.OneHostSamplesPerSecond);
                var link = new NetworkLink(rate, roundTripMs);
                text.AppendLine($"{Name(rate),-8}{rows,6}" + string.Concat(HostCounts.Select(n => $"{model.SamplesPerSecond(n, rows, link) / (n * one),8:F2}")));
            }
        return text.ToString();
    }

    private static string Name(double rate) => NetworkUnits.FormatRate(rate);

    private static string Gbit(double bitsPerSecond) => double.IsPositiveInfinity(bitsPerSecond) ? "no limit" : $"{bitsPerSecond / 1e9:F2} Gbit/s";

    private static string Error(double predicted, double measured)
    {
        var e = (predicted - measured) / measured;
        return $"{(e < -0.005 ? "-" : "+")}{Math.Abs(e) * 100:F0}%";
    }
}
