using System.Text.Json;

namespace Trainer.Client.Tests;

public sealed class ScaleCommandTests
{
    private static readonly string[] Digits = ["scale", "--data", "digits", "--cluster", "local", "--target", "0.95", "--max-epochs", "30"];

    [Fact]
    public async Task A_sweep_records_steps_to_target_per_run_writes_its_outputs_and_continues_where_it_stopped()
    {
        using var dir = new TempFolder();
        string[] sweep = [.. Digits, "--lr", "0.05", "--batches", "16,64,256", "--lr-scaling", "none,sqrt", "--out", dir.Path];
        var first = await CliRunner.Run(sweep);
        Assert.Equal(0, first.ExitCode);

        var results = Results(dir);
        Assert.Equal(6, results.Count);
        Assert.All(results, r => Assert.Equal("reached", r.GetProperty("status").GetString()));
        foreach (var r in results)
        {
            // steps to target are the steps of the epochs up to the one that reached it, as the run's own report says
            var point = r.GetProperty("point");
            var key = $"b{point.GetProperty("batch").GetInt32()}-w1-{point.GetProperty("lrScaling").GetString()}-sgd-warmup0";
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "runs", key, "report.json")));
            var target = report.RootElement.GetProperty("target");
            Assert.Equal(target.GetProperty("steps").GetInt64(), r.GetProperty("stepsToTarget").GetInt64());
            var epochs = report.RootElement.GetProperty("epochs");
            Assert.True(epochs[target.GetProperty("epoch").GetInt32() - 1].GetProperty("valAccuracy").GetDouble() >= 0.95);
            Assert.True(r.GetProperty("noiseScaleAtTarget").GetDouble() > 0);
        }
        // bigger batches take fewer steps to the same accuracy
        var none = results.Where(r => r.GetProperty("point").GetProperty("lrScaling").GetString() == "none").Select(r => r.GetProperty("stepsToTarget").GetInt64()).ToArray();
        Assert.True(none[0] > none[1] && none[1] >= none[2], string.Join(",", none));

        var csv = File.ReadAllLines(dir.Combine("results.csv"));
        Assert.Equal(7, csv.Length);
        Assert.StartsWith("batch,workers,lr_scaling", csv[0]);
        foreach (var png in new[] { "steps-to-target.png", "accuracy.png", "throughput.png", "noise-scale.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.Combine(png))[..4]);
        var summary = File.ReadAllText(dir.Combine("summary.md"));
        Assert.Contains("log-log slopes 16→64", summary);
        Assert.Contains("noise scale at the target", summary);

        // as if interrupted during the last run: the same command runs only what is missing
        var saved = JsonSerializer.Deserialize<JsonElement>(File.ReadAllBytes(dir.Combine("results.json")));
        var shortened = new { results = saved.GetProperty("results").EnumerateArray().Take(5).ToArray() };
        File.WriteAllText(dir.Combine("results.json"), JsonSerializer.Serialize(shortened));
        var second = await CliRunner.Run(sweep);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("5 already done", second.Output);
        Assert.Contains("[6/6] batch 256", second.Output);
        Assert.DoesNotContain("[1/6]", second.Output);
        Assert.Equal(6, Results(dir).Count);
    }

    [Fact]
    public async Task Tune_lr_tries_each_batch_at_multiples_of_the_lr_and_names_the_best_trial_per_batch_and_in_hindsight()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run([.. Digits, "--lr", "0.05", "--batches", "16,64", "--tune-lr", "--lr-factors", "0.5,1,2", "--out", dir.Path]);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);

        var results = Results(dir);
        Assert.Equal(6, results.Count);
        foreach (var r in results)
        {
            // each trial trained at its multiple of --lr, in a folder of its own
            var point = r.GetProperty("point");
            var factor = point.GetProperty("lrFactor").GetDouble();
            Assert.Equal(0.05 * factor, r.GetProperty("learningRate").GetDouble(), 12);
            if (r.GetProperty("status").GetString() == "diverged") continue; // a trial too hot for its batch is a result too, without a report
            var key = $"b{point.GetProperty("batch").GetInt32()}-w1-none-sgd-warmup0{(factor == 1 ? "" : $"-lrx{factor:0.###}")}";
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "runs", key, "report.json")));
            Assert.Equal(0.05 * factor, report.RootElement.GetProperty("options").GetProperty("lr").GetDouble(), 12);
        }
        Assert.Equal([0.5, 1, 2, 0.5, 1, 2], results.Select(r => r.GetProperty("point").GetProperty("lrFactor").GetDouble()));

        // the best trial of a batch is the one with the fewest steps to the target
        foreach (var batch in new[] { 16, 64 })
        {
            var reached = results.Where(r => r.GetProperty("point").GetProperty("batch").GetInt32() == batch && r.GetProperty("status").GetString() == "reached").ToList();
            Assert.NotEmpty(reached);
            var best = reached.OrderBy(r => r.GetProperty("stepsToTarget").GetInt64()).ThenBy(r => r.GetProperty("secondsToTarget").GetDouble()).First();
            Assert.Contains($"lr none, sgd, batch {batch}: best lr {best.GetProperty("learningRate").GetDouble():G4} (×{best.GetProperty("point").GetProperty("lrFactor").GetDouble():0.###}), " +
                            $"{best.GetProperty("stepsToTarget").GetInt64():N0} steps", outcome.Output);
        }
        Assert.Matches(@"best fixed batch in hindsight: (16|64) at lr ", outcome.Output);
        var total = results.Sum(r => r.GetProperty("trainSeconds").GetDouble());
        Assert.True(total > 0);
        Assert.Contains($"the sweep: {total:F1} s of training over 6 runs", outcome.Output);
        Assert.Contains("## The learning rate tuned per batch (--tune-lr)", File.ReadAllText(dir.Combine("summary.md")));

        var bad = await CliRunner.Run([.. Digits, "--lr-factors", "1,zero", "--out", dir.Combine("bad")]);
        Assert.Equal(ExitCode.UserError, bad.ExitCode);
        Assert.Equal("error: --lr-factors 'zero': expected multiples of --lr above 0, separated by commas", Assert.Single(bad.ErrorLines));
    }

    [Fact]
    public async Task Project_fits_the_cost_model_to_the_cluster_runs_checks_it_against_them_and_projects_past_this_machine()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("scale", "--data", "digits", "--cluster", "embedded:2", "--workers", "1,2", "--ps-shards", "1,2", "--threads", "1",
            "--batches", "64,256", "--target", "0.9", "--max-epochs", "3", "--lr", "0.05", "--project", "--out", dir.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.Contains("cost model fitted to 8 runs (19,210 parameters)", outcome.Output);
        Assert.Matches(@"mean absolute error \d+% over the measured runs", outcome.Output);
        Assert.Contains("projected samples/s at batch 256", outcome.Output);
        Assert.Matches(@"S=1: adding workers stops paying \(< 10% per doubling\) past \d+", outcome.Output);
        var results = Results(dir);
        Assert.Equal(8, results.Count);
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2], results.Select(r => r.GetProperty("workersUsed").GetInt32()));
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2], results.Select(r => r.GetProperty("psShards").GetInt32()));
        Assert.All(results, r => Assert.True(r.GetProperty("communicationMs").GetDouble() > 0));
        // sharding changes where the parameters live, not the arithmetic: the same steps to the target
        var steps = results.Select(r => r.GetProperty("stepsToTarget").ToString()).ToArray();
        Assert.Equal(steps[..4], steps[4..]);
    }

    [Fact]
    public async Task Project_over_a_link_adds_the_wire_and_the_round_trips_to_the_loopback_fit()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run("scale", "--data", "digits", "--cluster", "embedded:2", "--workers", "1,2", "--threads", "1",
            "--batches", "64,256", "--target", "0.9", "--max-epochs", "2", "--lr", "0.05", "--project", "--link", "10gbit,1gbit", "--latency", "0.1ms", "--out", dir.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.Contains("cost model fitted to 4 runs (19,210 parameters)", outcome.Output);
        Assert.Contains("projected samples/s at batch 256 over 10gbit links, round trip 0.1 ms", outcome.Output);
        Assert.Contains("projected samples/s at batch 256 over 1gbit links, round trip 0.1 ms", outcome.Output);
        // with one worker there is one host: no second shard to place
        Assert.Matches(@"\n\s+1\s+[0-9,]+\s+-\s+-\s+-\s+-\n", outcome.Output);
    }

    /// <summary>bench/hosts/scaleout.sh --json lines of a real run (2 hosts, AMD EPYC, 2026-12-03), the fields the fit reads.</summary>
    private static readonly string[] HarnessRuns =
    [
        """{"link":"none","rowsPerHost":128,"hosts":2,"oneHost":75248.59,"manyHosts":23534.85,"computeMs":4.54,"communicationMs":5.8,"updateMs":0.42,"bytesPerStep":3256480}""",
        """{"link":"none","rowsPerHost":1024,"hosts":2,"oneHost":69315.36,"manyHosts":43634.66,"computeMs":34.46,"communicationMs":9.79,"updateMs":0.93,"bytesPerStep":3256480}""",
        """{"link":"10gbit","rowsPerHost":128,"hosts":2,"oneHost":66703.42,"manyHosts":25386.99,"computeMs":4.66,"communicationMs":4.79,"updateMs":0.41,"bytesPerStep":3256480}""",
        """{"link":"10gbit","rowsPerHost":1024,"hosts":2,"oneHost":76328.27,"manyHosts":50036.46,"computeMs":25.55,"communicationMs":12.29,"updateMs":0.6,"bytesPerStep":3256480}""",
        """{"link":"1gbit","rowsPerHost":128,"hosts":2,"oneHost":62606.38,"manyHosts":13962.18,"computeMs":3.46,"communicationMs":14.17,"updateMs":0.5,"bytesPerStep":3256480}""",
        """{"link":"1gbit","rowsPerHost":1024,"hosts":2,"oneHost":70011.96,"manyHosts":40849.85,"computeMs":32.68,"communicationMs":14.69,"updateMs":0.76,"bytesPerStep":3256480}""",
    ];

    [Fact]
    public async Task From_harness_fits_the_network_checks_every_run_and_projects_efficiency_to_64_hosts_without_a_sweep()
    {
        using var dir = new TempFolder();
        var file = dir.File("runs.jsonl", string.Join('\n', HarnessRuns) + "\n");
        var outcome = await CliRunner.Run("scale", "--project", "--from-harness", file, "--link", "25gbit", "--latency", "50us", "--out", dir.Combine("sweep"));
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.Contains("cost model fitted to 6 harness runs (203,530 parameters; hosts 2 of 1 vCPU)", outcome.Output);
        Assert.Matches(@"the vectors move at: none [0-9.]+ Gbit/s; 25gbit [0-9.]+ Gbit/s; 10gbit [0-9.]+ Gbit/s; 1gbit [0-9.]+ Gbit/s", outcome.Output);
        Assert.Matches(@"10gbit\s+1024\s+2\s+50,036\s+[0-9,]+\s+[-+]\d+%\s+[0-9,]+\s+[-+]\d+%", outcome.Output);
        Assert.Matches(@"each run predicted from the others: mean absolute error \d+%", outcome.Output);
        Assert.Contains("round trip 0.05 ms", outcome.Output);
        Assert.Matches(@"\n1gbit\s+1024(\s+0\.\d\d){6}\n", outcome.Output);
        Assert.Matches(@"\n25gbit\s+128(\s+0\.\d\d){6}\n", outcome.Output);
        Assert.False(Directory.Exists(dir.Combine("sweep")));

        // a slower link never projects a better efficiency
        var lines = outcome.Output.Split('\n');
        double Efficiency(string link, int column) => double.Parse(lines.Last(l => l.StartsWith(link + " ") && l.Contains(" 1024 ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[column + 1], System.Globalization.CultureInfo.InvariantCulture);
        for (var n = 1; n <= 6; n++)
            Assert.True(Efficiency("1gbit", n) <= Efficiency("10gbit", n));
    }

    [Fact]
    public async Task Against_predicts_runs_the_fit_did_not_see()
    {
        using var dir = new TempFolder();
        var file = dir.File("runs.jsonl", string.Join('\n', HarnessRuns) + "\n");
        var four = dir.File("four.jsonl", """{"link":"10gbit","rowsPerHost":1024,"hosts":4,"oneHost":27555,"manyHosts":32201,"computeMs":87.26,"communicationMs":27.39,"updateMs":7.47,"bytesPerStep":6512960}""" + "\n");
        var outcome = await CliRunner.Run("scale", "--from-harness", file, "--against", four);
        Assert.True(outcome.ExitCode == 0, outcome.Errors);
        Assert.Contains("cost model fitted to 6 harness runs", outcome.Output); // the held-out run is not in the fit
        Assert.Matches(@"\n10gbit\s+1024\s+4\s+32,201\s+[0-9,]+\s+[-+]\d+%\s+27\.39\s+[0-9.]+\s+87\.26\s+[0-9.]+\n", outcome.Output);
        Assert.Matches(@"runs the fit did not see: mean absolute error \d+%, largest \d+%", outcome.Output);
    }

    [Theory]
    [InlineData("not json", "line 1: not JSON")]
    [InlineData("""{"link":"fast","rowsPerHost":128,"hosts":2}""", "line 1: link 'fast': expected a link rate")]
    [InlineData("""{"link":"none","hosts":2}""", "line 1: 'rowsPerHost' missing or not a number")]
    public async Task A_harness_file_that_is_not_one_is_one_line_and_exit_2(string line, string message)
    {
        using var dir = new TempFolder();
        var file = dir.File("runs.jsonl", line + "\n");
        var outcome = await CliRunner.Run("scale", "--project", "--from-harness", file);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Single(outcome.ErrorLines);
        Assert.Contains(message, outcome.Errors);
    }

    [Theory]
    [InlineData(new[] { "--project", "--link", "10gbps" }, "--link '10gbps': expected a link rate in bits per second")]
    [InlineData(new[] { "--project", "--link", "10gbit", "--latency", "fast" }, "--latency 'fast': expected a time")]
    [InlineData(new[] { "--link", "10gbit" }, "--link describes the network of a projection: add --project")]
    [InlineData(new[] { "--project", "--latency", "1ms" }, "--latency needs --link RATE")]
    [InlineData(new[] { "--project", "--against", "runs.jsonl" }, "--against checks a fit to harness runs: add --from-harness FILE")]
    public async Task Bad_network_options_are_one_line_and_exit_2_before_any_run(string[] options, string message)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run([.. Digits, .. options, "--out", dir.Combine("sweep")]);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Single(outcome.ErrorLines);
        Assert.Contains(message, outcome.Errors);
        Assert.False(Directory.Exists(dir.Combine("sweep")));
    }

    [Fact]
    public async Task A_diverging_run_is_recorded_and_the_sweep_goes_on()
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run([.. Digits, "--batches", "64,128", "--lr-scaling", "linear", "--lr", "5000", "--base-batch", "64", "--momentum", "0", "--out", dir.Path]);
        Assert.Equal(0, outcome.ExitCode);
        var results = Results(dir);
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("diverged", r.GetProperty("status").GetString()));
        Assert.Contains("diverged", File.ReadAllText(dir.Combine("results.csv")));
    }

    [Theory]
    [InlineData("--workers", "2", "--workers needs a cluster")]
    [InlineData("--lr-scaling", "none,cubic", "--lr-scaling 'cubic': expected a list of none, linear, sqrt")]
    [InlineData("--warmup-epochs", "0,-1", "--warmup-epochs '-1'")]
    [InlineData("--batches", "64,x", "--batches '64,x'")]
    public async Task Bad_sweep_options_are_one_line_and_exit_2(string option, string value, string message)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run([.. Digits, option, value, "--out", dir.Combine("sweep")]);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Single(outcome.ErrorLines);
        Assert.Contains(message, outcome.Errors);
        Assert.False(Directory.Exists(dir.Combine("sweep")));
    }

    [Fact]
    public async Task A_folder_of_another_sweep_is_refused()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, (await CliRunner.Run([.. Digits, "--batches", "256", "--out", dir.Path])).ExitCode);
        var outcome = await CliRunner.Run([.. Digits, "--batches", "128", "--out", dir.Path]);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"--out {dir.Path}: holds a different sweep", outcome.Errors);
    }

    private static List<JsonElement> Results(TempFolder dir) =>
        JsonSerializer.Deserialize<JsonElement>(File.ReadAllBytes(dir.Combine("results.json"))).GetProperty("results").EnumerateArray().ToList();
}
