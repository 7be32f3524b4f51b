namespace Trainer.Grains.Tests.Support;

/// <summary>
/// A real redis-server (Debian's package) on a free loopback port, for the test's lifetime. With
/// <c>durable</c>, it keeps an append-only file, so it can be killed and started again on the same
/// port with its data, as a Redis that blinks.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly string? _folder;
    private ChildProcess? _process;

    private RedisServer(int port, string? folder) { Port = port; _folder = folder; }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(bool durable = false)
    {
        Assert.True(File.Exists(Binary), "redis-server is not installed: 'apt-get install redis-server' (.ci/run does)");
        var folder = durable ? Directory.CreateTempSubdirectory("trainer-redis-").FullName : null;
        var server = new RedisServer(ChildProcess.FreePorts(1)[0], folder);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server (again, after <see cref="KillAsync"/>: with its append-only file when durable).</summary>
    public async Task RestartAsync()
    {
        string[] persistence = _folder is null ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _folder];
        _process = await ChildProcess.StartAsync(Binary, ["--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", .. persistence],
            "Ready to accept connections", TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL: no shutdown, no final save.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        await _process.KillAsync();
        await _process.DisposeAsync();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        if (_folder is not null) Directory.Delete(_folder, recursive: true);
    }
}
