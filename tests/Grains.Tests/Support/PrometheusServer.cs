using System.Net.Http.Json;
using System.Text.Json;

namespace Trainer.Grains.Tests.Support;

/// <summary>
/// A real Prometheus server (Debian's package) on a free loopback port, scraping the given targets
/// every second into a throw-away folder, for the test's lifetime.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly ChildProcess _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(ChildProcess process, string folder, int port)
    {
        (_process, _folder) = (process, folder);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    }

    /// <param name="targets">Scrape job name → host:port serving /metrics.</param>
    /// <param name="https">Scrape jobs over HTTPS: the CA that signed the server's certificate, and the client certificate (PEM with its key) Prometheus presents.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, string> targets, IReadOnlyDictionary<string, (string Ca, string Certificate)>? https = null)
    {
        Assert.True(File.Exists(Binary), "prometheus is not installed: 'apt-get install prometheus' (./test.sh does)");
        var folder = Directory.CreateTempSubdirectory("trainer-prometheus-").FullName;
        string Tls(string job) => https?.TryGetValue(job, out var tls) == true
            ? $"    scheme: https\n    tls_config: {{ca_file: '{tls.Ca}', cert_file: '{tls.Certificate}', key_file: '{tls.Certificate}'}}\n"
            : "";
        var jobs = string.Concat(targets.Select(t => $"  - job_name: {t.Key}\n{Tls(t.Key)}    static_configs: [{{targets: ['{t.Value}']}}]\n"));
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), $"global: {{scrape_interval: 1s, scrape_timeout: 1s}}\nscrape_configs:\n{jobs}");
        var port = ChildProcess.FreePorts(1)[0];
        var process = await ChildProcess.StartAsync(Binary,
            [$"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--web.listen-address=127.0.0.1:{port}",
             $"--storage.tsdb.path={Path.Combine(folder, "data")}"],
            "Server is ready to receive web requests", TimeSpan.FromSeconds(30));
        return new PrometheusServer(process, folder, port);
    }

    /// <summary>An instant query through the HTTP API: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var answer = await _http.GetFromJsonAsync<JsonDocument>($"api/v1/query?query={Uri.EscapeDataString(promql)}");
        return answer!.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => (r.GetProperty("metric").Deserialize<Dictionary<string, string>>()!,
                          double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>Asks the query again, until some series passes <paramref name="accept"/>.</summary>
    public async Task<(Dictionary<string, string> Labels, double Value)> UntilAsync(string promql, Func<Dictionary<string, string>, double, bool> accept, TimeSpan deadline)
    {
        (Dictionary<string, string> Labels, double Value)? found = null;
        await Eventually.Until(async () =>
        {
            foreach (var series in await QueryAsync(promql))
                if (accept(series.Labels, series.Value)) { found = series; return true; }
            return false;
        }, deadline, () => $"no series of '{promql}' as expected within {deadline}:\n{_process.Output}");
        return found!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        Directory.Delete(_folder, true);
    }
}
