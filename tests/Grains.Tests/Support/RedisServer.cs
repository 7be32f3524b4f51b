namespace Trainer.Grains.Tests.Support;

/// <summary>A real redis-server (Debian's package) on a free loopback port, for the test's lifetime.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly ChildProcess _process;

    private RedisServer(ChildProcess process, int port) { _process = process; Port = port; }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        Assert.True(File.Exists(Binary), "redis-server is not installed: 'apt-get install redis-server' (.ci/run does)");
        var port = ChildProcess.FreePorts(1)[0];
        var process = await ChildProcess.StartAsync(Binary, ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            "Ready to accept connections", TimeSpan.FromSeconds(30));
        return new RedisServer(process, port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
