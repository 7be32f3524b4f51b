using System.Diagnostics;
using System.Text;

namespace Trainer.Grains.Tests.Support;

/// <summary>A child process whose output is watched: tests await a line instead of sleeping.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2;

    /// <param name="killWhenReady">Kill the process (SIGKILL) the moment the ready line is read, on the reading thread.</param>
    private ChildProcess(string file, IEnumerable<string> args, string? readyText, IReadOnlyDictionary<string, string>? environment,
        bool killWhenReady = false)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        _process = new Process { StartInfo = start };
        _process.Start();
        Read(_process.StandardOutput, readyText, killWhenReady, $"{file} stdout");
        Read(_process.StandardError, readyText, killWhenReady, $"{file} stderr");
    }

    // Each stream is read by its own thread, not the thread pool: a test host whose pool is busy with
    // in-process silos once saw a child's 'epoch 1/3' only after the child had finished its job. A process
    // counts as gone only once both streams are at their end, so no line is lost to the exit's timing.
    private void Read(StreamReader stream, string? readyText, bool killWhenReady, string name)
    {
        var reader = new Thread(() =>
        {
            while (stream.ReadLine() is { } line)
            {
                lock (_output) _output.AppendLine(line);
                if (readyText is null || !line.Contains(readyText)) continue;
                if (killWhenReady) Kill();
                _ready.TrySetResult();
            }
            if (Interlocked.Decrement(ref _openStreams) > 0) return;
            _process.WaitForExit();
            var exited = new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} before it was ready:\n{Output}");
            _ready.TrySetException(exited);
            _drained.TrySetResult(); // last: disposing may follow at once
        }) { IsBackground = true, Name = name };
        reader.Start();
    }

    private void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // it has already exited
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts the process and waits, up to a deadline, for a line containing <paramref name="readyText"/>.</summary>
    public static async Task<ChildProcess> StartAsync(string file, IEnumerable<string> args, string readyText, TimeSpan deadline,
        IReadOnlyDictionary<string, string>? environment = null, bool killWhenReady = false)
    {
        var child = new ChildProcess(file, args, readyText, environment, killWhenReady);
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
        Kill();
        await _drained.Task; // both streams at their end and the process gone
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
        await _drained.Task.WaitAsync(deadline);
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

    /// <summary>
    /// Starts the trainer and kills it (SIGKILL) the moment it prints <paramref name="readyText"/>: a crash at a
    /// known point of the job, however fast the job runs and however busy the test host is.
    /// </summary>
    public static Task<ChildProcess> StartTrainerAndKillAt(string readyText, params string[] args) =>
        StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "trainer.dll"), .. args], readyText, TimeSpan.FromSeconds(120), killWhenReady: true);

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
        Kill();
        await _process.WaitForExitAsync();
        try { await _drained.Task.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { } // a descendant that outlived the kill still holds a stream: its reader ends with it
        _process.Dispose();
    }

    public static int[] FreePorts(int count) => Hosting.EmbeddedCluster.FreePorts(count);
}
