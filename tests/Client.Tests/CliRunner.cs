namespace Trainer.Client.Tests;

/// <summary>
/// Runs the trainer's command line in-process and captures what it prints. Its environment is the
/// one given (none by default), not the test process's, so that no TRAINER_* variable of the machine
/// running the tests changes what they check.
/// </summary>
internal static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Output, string Errors)
    {
        public string[] ErrorLines => Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Task<Outcome> Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    /// <summary>A command that runs until <paramref name="cancellation"/> (Ctrl+C's token); <paramref name="output"/> may be read meanwhile.</summary>
    public static async Task<Outcome> Run(SharedWriter output, CancellationToken cancellation, params string[] args)
    {
        var errors = new SharedWriter();
        var code = await Task.Run(() => Cli.RunAsync(args, output, errors, cancellation, environment: _ => null));
        return new Outcome(code, output.ToString(), errors.ToString());
    }

    public static async Task<Outcome> Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await Cli.RunAsync(args, output, errors, environment: name => environment.GetValueOrDefault(name));
        return new Outcome(code, output.ToString(), errors.ToString());
    }
}

/// <summary>What a command prints, readable by the test while the command still writes.</summary>
internal sealed class SharedWriter : TextWriter
{
    private readonly System.Text.StringBuilder _text = new();
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
    public override void Write(char value) { lock (_text) _text.Append(value); }
    public override void Write(string? value) { lock (_text) _text.Append(value); }
    public override void Write(char[] buffer, int index, int count) { lock (_text) _text.Append(buffer, index, count); }
    public override string ToString() { lock (_text) return _text.ToString(); }
}

/// <summary>A fresh temporary folder, removed when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "trainer-cli-" + Guid.NewGuid().ToString("N")[..8]);
    public string Combine(string name) => System.IO.Path.Combine(Path, name);
    public string File(string name, string content) { var p = Combine(name); System.IO.File.WriteAllText(p, content); return p; }
    public string File(string name, byte[] content) { var p = Combine(name); System.IO.File.WriteAllBytes(p, content); return p; }
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Files of the repository the tests run from (the folder with Distributed.sln above the test binaries).</summary>
internal static class Repository
{
    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Distributed.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException("the repository root (Distributed.sln) is not above the test binaries");
    }
}
