using System.Globalization;

namespace Trainer.Silo;

/// <summary>A size as people write one (2GB, 512 MiB, 1.5G, 1048576): binary units, as the memory estimates print them.</summary>
public static class ByteSize
{
    public static long Parse(string text, string option)
    {
        var trimmed = text.Trim();
        var split = trimmed.Length;
        while (split > 0 && char.IsLetter(trimmed[split - 1])) split--;
        var unit = trimmed[split..].Trim().ToUpperInvariant();
        long? scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => null,
        };
        if (scale is { } s && double.TryParse(trimmed[..split].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value * s < long.MaxValue)
            return (long)(value * s);
        throw new SiloOptionsException($"{option} '{text}' is not a size (e.g. 512MB, 2GB; binary units)");
    }
}
