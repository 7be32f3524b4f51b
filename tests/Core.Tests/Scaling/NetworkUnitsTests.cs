using Trainer.Core.Scaling;

namespace Trainer.Core.Tests.Scaling;

public sealed class NetworkUnitsTests
{
    [Theory]
    [InlineData("1gbit", 1e9)]
    [InlineData("10gbit", 10e9)]
    [InlineData("2.5gbit", 2.5e9)]
    [InlineData("100mbit", 100e6)]
    [InlineData("500kbit", 500e3)]
    [InlineData("10Gbit/s", 10e9)]
    [InlineData(" 40gbit ", 40e9)]
    public void Rates_are_bits_per_second_with_decimal_prefixes(string text, double bitsPerSecond) =>
        Assert.Equal(bitsPerSecond, NetworkUnits.ParseRate("--link", text), 6);

    [Theory]
    [InlineData("0.1ms", 0.1)]
    [InlineData("50us", 0.05)]
    [InlineData("50µs", 0.05)]
    [InlineData("2ms", 2)]
    [InlineData("0.001s", 1)]
    [InlineData("500ns", 0.0005)]
    [InlineData("0", 0)]
    public void Latencies_are_read_as_milliseconds(string text, double ms) =>
        Assert.Equal(ms, NetworkUnits.ParseLatency("--latency", text), 9);

    [Theory]
    [InlineData("10gbps")] // tc's bps is bytes per second: ambiguous, refused
    [InlineData("10")]
    [InlineData("0gbit")]
    [InlineData("-1gbit")]
    [InlineData("fast")]
    [InlineData("")]
    public void A_bad_rate_names_its_option(string text)
    {
        var error = Assert.Throws<UserInputException>(() => NetworkUnits.ParseRate("--link", text));
        Assert.StartsWith($"--link '{text}': expected a link rate", error.Message);
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("-1ms")]
    [InlineData("1 hour")]
    [InlineData("ms")]
    public void A_bad_latency_names_its_option(string text)
    {
        var error = Assert.Throws<UserInputException>(() => NetworkUnits.ParseLatency("--latency", text));
        Assert.StartsWith($"--latency '{text}': expected a time", error.Message);
    }

    [Theory]
    [InlineData(10e9, "10gbit")]
    [InlineData(2.5e9, "2.5gbit")]
    [InlineData(100e6, "100mbit")]
    [InlineData(double.PositiveInfinity, "none")]
    public void Rates_print_as_they_are_written(double bitsPerSecond, string text) => Assert.Equal(text, NetworkUnits.FormatRate(bitsPerSecond));
}
