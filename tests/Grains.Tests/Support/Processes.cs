using System.Diagnostics;
using System.Text;

namespace Trainer.Grains.Tests.Support;

/// <summary>A child process whose output is watched: tests await a line instead of sleeping.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string file, IEnumerable<string> args, string? readyText, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (readyText is not null && e.Data.Contains(readyText)) _ready.TrySetResult();
        };
        _process.OutputDataReceived += onLine;
        _process.ErrorDataReceived += onLine;
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"{file} exited with {_process.ExitCode} before it was ready:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts the process and waits, up to a deadline, for a line containing <paramref name="readyText"/>.</summary>
    public static async Task<ChildProcess> StartAsync(string file, IEnumerable<string> args, string readyText, TimeSpan deadline,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var child = new ChildProcess(file, args, readyText, environment);
        try
        {
            await child._ready.Task.WaitAsync(deadline);
            return child;
        }
        catch (TimeoutException)
        {
            await child.DisposeAsync();
            throw new TimeoutException($"{file} did not print '{readyText}' within {deadline}:\n{child.Output}");
        }
    }

    /// <summary>Ends the process at once, as a crash would (SIGKILL).</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Asks the process to stop, as Kubernetes does (SIGTERM).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"]);
        kill.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once the process ends within the deadline.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan deadline)
    {
        await _process.WaitForExitAsync().WaitAsync(deadline);
        return _process.ExitCode;
    }

    /// <summary>Freezes or thaws the process (SIGSTOP / SIGCONT): a stall, neither crashed nor answering.</summary>
    public void Signal(bool stop)
    {
        using var kill = Process.Start("kill", [stop ? "-STOP" : "-CONT", $"{_process.Id}"]);
        kill.WaitForExit();
    }

    /// <summary>Starts the trainer (src/Client) as its own process.</summary>
    public static Task<ChildProcess> StartTrainer(string readyText, params string[] args) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "trainer.dll"), .. args], readyText, TimeSpan.FromSeconds(120));

    /// <summary>Starts a silo of src/Silo as its own process.</summary>
    public static Task<ChildProcess> StartSilo(params string[] args) => StartSilo(null, args);

    /// <summary>Starts a silo of src/Silo with extra environment variables (a pod's, say).</summary>
    public static Task<ChildProcess> StartSilo(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Trainer.Silo.dll"), .. args], "silo ready", TimeSpan.FromSeconds(60), environment);

    /// <summary>Starts the trainer with extra environment variables and waits for it to end.</summary>
    public static Task<(int Code, string Output)> RunTrainer(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, params string[] args) =>
        RunToEnd("trainer.dll", environment, deadline, args);

    /// <summary>Starts a silo that is expected to end by itself (a bad setting), and waits for it.</summary>
    public static Task<(int Code, string Output)> RunSilo(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, params string[] args) =>
        RunToEnd("Trainer.Silo.dll", environment, deadline, args);

    private static async Task<(int Code, string Output)> RunToEnd(string dll, IReadOnlyDictionary<string, string> environment, TimeSpan deadline, string[] args)
    {
        await using var child = new ChildProcess("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. args], readyText: null, environment);
        var code = await child.ExitCodeAsync(deadline);
        return (code, child.Output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static int[] FreePorts(int count) => Hosting.EmbeddedCluster.FreePorts(count);
}
