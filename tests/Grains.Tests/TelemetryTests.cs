using System.Globalization;
using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// --telemetry console on a real trainer process with a two-silo embedded cluster: the output holds
/// the Trainer meter with samples and step-time histograms, and spans that chain a worker's
/// gradient through the workers' Orleans calls, the parameter server's step and epoch and the
/// trainer's call to the server up to the trainer's job, all in one trace.
/// </summary>
public sealed class TelemetryTests
{
    private sealed record Span(string Trace, string Id, string? Parent, string Name, string Kind);

    [Fact]
    public async Task Console_telemetry_of_a_short_job_has_the_meter_and_spans_linking_client_server_and_workers()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "trainer-telemetry-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, output) = await ChildProcess.RunTrainer(new Dictionary<string, string>(), TimeSpan.FromMinutes(3),
            "train", "--epochs", "1", "--hidden", "16", "--telemetry", "console", "--out", outDir);
        Assert.True(code == 0, output[^Math.Min(2000, output.Length)..]);
        Directory.Delete(outDir, true);

        Assert.True(Metric(output, "trainer.samples", "Value") > 0, "samples processed");
        foreach (var step in new[] { "trainer.step.compute", "trainer.step.communication", "trainer.step.update" })
            Assert.True(Metric(output, step, "Count") > 0, $"{step}: no recorded steps");
        Assert.Contains("Metric Name: trainer.noise_scale", output);
        Assert.Contains("Metric Name: trainer.bytes", output);

        var spans = Spans(output);
        var byId = spans.ToDictionary(s => s.Id);
        var gradient = spans.First(s => s.Name == "gradient");
        var chain = new List<Span>();
        for (Span? s = gradient; s is not null; s = s.Parent is { } p ? byId.GetValueOrDefault(p) : null) chain.Add(s);
        var names = chain.Select(s => $"{s.Name} ({s.Kind})").ToList();
        Assert.All(chain, s => Assert.Equal(gradient.Trace, s.Trace));
        // the worker's gradient, its call from the server's step, the server's epoch (its loop), then Orleans's own spans of the
        // stream the loop's events travel in, the trainer's call to run the loop, and at the root the trainer's job
        Assert.Equal(["gradient (Internal)", "IWorkerGrain/ComputeGradient (Server)", "IWorkerGrain/ComputeGradient (Client)", "step (Internal)", "epoch (Internal)"], names[..5]);
        Assert.Contains("IParameterServerGrain/Run (Client)", names[5..]);
        Assert.Equal("train (Internal)", names[^1]);
    }

    /// <summary>
    /// --telemetry otlp to a collector of ours (OTLP over HTTP/protobuf, as OTEL_EXPORTER_OTLP_PROTOCOL
    /// selects): it receives traces with the product's spans and metrics with its meter.
    /// </summary>
    [Fact]
    public async Task Otlp_telemetry_reaches_a_collector()
    {
        var port = ChildProcess.FreePorts(1)[0];
        using var collector = new System.Net.HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                System.Net.HttpListenerContext context;
                try { context = await collector.GetContextAsync(); }
                catch (Exception) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                received.AddOrUpdate(context.Request.Url!.AbsolutePath, System.Text.Encoding.Latin1.GetString(body.ToArray()), (_, old) => old + System.Text.Encoding.Latin1.GetString(body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var outDir = Path.Combine(Path.GetTempPath(), "trainer-otlp-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, output) = await ChildProcess.RunTrainer(new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" }, TimeSpan.FromMinutes(3),
            "train", "--epochs", "1", "--hidden", "16", "--telemetry", "otlp", "--otlp-endpoint", $"http://127.0.0.1:{port}/", "--out", outDir);
        collector.Stop();
        await receiving;
        Assert.True(code == 0, output);
        Directory.Delete(outDir, true);

        Assert.Contains("/v1/traces", received.Keys);
        Assert.Contains("/v1/metrics", received.Keys);
        foreach (var span in new[] { "epoch", "step", "gradient", "IWorkerGrain/ComputeGradient" }) Assert.Contains(span, received["/v1/traces"]);
        foreach (var metric in new[] { "trainer.samples", "trainer.step.compute", "trainer.step.communication", "trainer.step.update" }) Assert.Contains(metric, received["/v1/metrics"]);
    }

    /// <summary>A number on the line starting with <paramref name="field"/> after a metric's "Metric Name" line.</summary>
    private static double Metric(string output, string name, string field)
    {
        var start = output.IndexOf($"Metric Name: {name},", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no metric {name} in the output");
        var block = output[start..];
        Assert.Contains("Name: Trainer", block[..block.IndexOf("Value:", StringComparison.Ordinal)]);
        var match = Regex.Match(block, field == "Value" ? @"Value: ([0-9.E+-]+)" : @"Count: ([0-9]+)");
        Assert.True(match.Success, $"{name}: no {field}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static List<Span> Spans(string output) =>
        output.Split("Activity.TraceId:").Skip(1).Select(block =>
        {
            string? Field(string key) => Regex.Match(block, Regex.Escape(key) + @"\s*(\S.*)") is { Success: true } m ? m.Groups[1].Value.Trim() : null;
            return new Span(block.Split('\n')[0].Trim(), Field("Activity.SpanId:")!, Field("Activity.ParentSpanId:"), Field("Activity.DisplayName:")!, Field("Activity.Kind:")!);
        }).ToList();
}
