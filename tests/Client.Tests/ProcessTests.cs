using System.Diagnostics;

namespace Trainer.Client.Tests;

/// <summary>The published entry point as a user runs it: real exit codes and streams of a real process.</summary>
public sealed class ProcessTests
{
    private static Task<(int Code, string Output, string Errors)> RunTrainer(params string[] args) => RunTrainer(new Dictionary<string, string>(), args);

    private static async Task<(int Code, string Output, string Errors)> RunTrainer(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "trainer.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output, await errors);
    }

    [Fact]
    public async Task A_user_error_exits_2_with_one_line_on_stderr()
    {
        var (code, output, errors) = await RunTrainer("train", "--lr", "0");
        Assert.Equal(2, code);
        Assert.Equal("error: --lr 0: must be greater than 0", errors.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task An_option_comes_from_its_environment_variable_and_its_error_says_so()
    {
        var (code, output, errors) = await RunTrainer(new Dictionary<string, string> { ["TRAINER_BATCH"] = "many" }, "train");
        Assert.Equal(2, code);
        Assert.Equal("error: --batch 'many': expected a whole number or auto (--batch from TRAINER_BATCH)", errors.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Bench_kernel_prints_a_table_and_json_for_each_kernel()
    {
        var (code, output, _) = await RunTrainer("bench", "kernel", "--hidden", "32", "--batch", "64", "--seconds", "0.2", "--threads", "1");
        Assert.Equal(0, code);
        Assert.Contains("openblas", output);
        Assert.Contains("managed", output);
        var json = output.Split('\n').Single(l => l.StartsWith('{'));
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(2, document.RootElement.GetProperty("results").GetArrayLength());
        Assert.All(document.RootElement.GetProperty("results").EnumerateArray(), r => Assert.True(r.GetProperty("samplesPerSecond").GetDouble() > 0));
    }
}
