using System.Text.Json;

namespace Trainer.Grains.Tests;

/// <summary><c>trainer bench train</c>: the reference and a cluster trained through the real train command, compared.</summary>
public sealed class TrainBenchTests
{
    [Fact]
    public async Task Bench_train_compares_a_cluster_with_the_reference_and_times_the_target()
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        var code = await Client.Cli.RunAsync(["bench", "train", "--data", "digits", "--hidden", "16", "--clusters", "local,embedded:2",
            "--batches", "64", "--epochs", "2", "--target", "0.5"], output, errors);

        Assert.True(code == 0, $"exit {code}: {errors}");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var json = JsonDocument.Parse(lines[^1]);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["local", "embedded:2"], results.Select(r => r.GetProperty("cluster").GetString()));
        Assert.Equal(JsonValueKind.Null, results[0].GetProperty("shareOfLocal").ValueKind);
        var share = results[1].GetProperty("shareOfLocal").GetDouble();
        Assert.Equal(results[1].GetProperty("samplesPerSecond").GetDouble() / results[0].GetProperty("samplesPerSecond").GetDouble(), share, 2);
        Assert.True(results[1].GetProperty("bytesPerStep").GetInt64() > 0);
        Assert.Equal(results[0].GetProperty("testAccuracy").GetDouble(), results[1].GetProperty("testAccuracy").GetDouble()); // sync: the same model
        Assert.All(results, r => Assert.True(r.GetProperty("secondsToTarget").GetDouble() > 0));
    }

    [Fact]
    public async Task A_failing_run_is_a_one_line_error_naming_it()
    {
        var errors = new StringWriter();
        var code = await Client.Cli.RunAsync(["bench", "train", "--data", "no-such-data", "--clusters", "local", "--batches", "64"], new StringWriter(), errors);
        Assert.Equal(2, code);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: bench train: --cluster local --batch 64 failed: --data no-such-data", line);
    }
}
