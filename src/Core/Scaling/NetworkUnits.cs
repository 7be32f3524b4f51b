using System.Globalization;
using System.Text.RegularExpressions;

namespace Trainer.Core.Scaling;

/// <summary>
/// Link rates and latencies as a user writes them: rates in tc's form (<c>10gbit</c>, <c>2.5gbit</c>,
/// <c>100mbit</c>; bits per second, decimal prefixes), latencies with a unit (<c>0.1ms</c>, <c>50us</c>).
/// A bad value names its option, so the error can be one line.
/// </summary>
public static partial class NetworkUnits
{
    /// <summary>Bits per second of a rate such as 10gbit.</summary>
    public static double ParseRate(string option, string text)
    {
        var m = Rate().Match(text.Trim());
        var value = m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (!m.Success || !(value > 0) || !double.IsFinite(value))
            throw new UserInputException($"{option} '{text}': expected a link rate in bits per second such as 10gbit, 2.5gbit, 1gbit or 100mbit");
        return value * m.Groups[2].Value.ToLowerInvariant() switch { "k" => 1e3, "m" => 1e6, "g" => 1e9, "t" => 1e12, _ => 1 };
    }

    /// <summary>Milliseconds of a time such as 0.1ms or 50us.</summary>
    public static double ParseLatency(string option, string text)
    {
        if (text.Trim() == "0") return 0; // a bare 0 needs no unit
        var m = Latency().Match(text.Trim());
        var value = m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        if (!m.Success || !double.IsFinite(value))
            throw new UserInputException($"{option} '{text}': expected a time such as 0.1ms, 50us or 0 (s, ms, us, ns)");
        return value * m.Groups[2].Value.ToLowerInvariant() switch { "s" => 1e3, "ms" => 1, "us" or "µs" => 1e-3, "ns" => 1e-6, _ => 0 };
    }

    /// <summary>A rate as tc and the docs write it: 10gbit, 2.5gbit, 100mbit.</summary>
    public static string FormatRate(double bitsPerSecond) =>
        double.IsPositiveInfinity(bitsPerSecond) ? "none" :
        bitsPerSecond >= 1e9 ? $"{bitsPerSecond / 1e9:0.###}gbit" : bitsPerSecond >= 1e6 ? $"{bitsPerSecond / 1e6:0.###}mbit" : $"{bitsPerSecond / 1e3:0.###}kbit";

    [GeneratedRegex(@"^([0-9]*\.?[0-9]+)\s*([kmgt]?)bit(?:/s)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Rate();

    [GeneratedRegex(@"^([0-9]*\.?[0-9]+)\s*(s|ms|us|µs|ns)$", RegexOptions.IgnoreCase)]
    private static partial Regex Latency();
}
