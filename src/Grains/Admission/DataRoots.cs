using System.Runtime.InteropServices;
using Trainer.Core;
using Trainer.Core.Data;

namespace Trainer.Grains.Admission;

/// <summary>
/// Where a silo may read data: the built-in sets and the folders it was given (--data-root). A path a
/// job names is refused, before anything is opened, unless both its normalised path (no <c>..</c>
/// past a root) and its real path (every symbolic link resolved) lie inside a root; the refusal
/// names the roots and never the file's content. Embedded clusters and the local trainer read
/// anywhere, as the trainer's own machine is theirs (<see cref="Anywhere"/>).
/// </summary>
public sealed class DataRoots
{
    private readonly (string Given, string Real)[]? _roots;

    private DataRoots((string Given, string Real)[]? roots) => _roots = roots;

    /// <summary>No restriction: the process reads what its user can.</summary>
    public static DataRoots Anywhere { get; } = new(null);

    /// <summary>Only the built-in sets and these folders; each must exist (a one-line error names it).</summary>
    public static DataRoots Only(IEnumerable<string> folders, string option = "--data-root") => new(folders.Select(folder =>
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(full)) throw new UserInputException($"{option} {folder}: no such folder");
        return (full, Path.TrimEndingDirectorySeparator(RealPath(full) ?? full));
    }).ToArray());

    public bool Restricted => _roots is not null;

    /// <summary>The roots as given, for messages and the silo's start line.</summary>
    public IReadOnlyList<string> Folders => _roots?.Select(r => r.Given).ToArray() ?? [];

    /// <summary>Refuses a job whose data or test set lies outside the roots.</summary>
    public void Check(DataSpec spec)
    {
        Check(spec.Data, "--data");
        if (spec.Test is { } test) Check(test, "--test");
    }

    /// <summary>Refuses <paramref name="path"/> (given as <paramref name="option"/>) unless it is a built-in set or inside a root.</summary>
    public void Check(string path, string option)
    {
        if (_roots is null) return;
        var full = Path.GetFullPath(path);
        var exists = File.Exists(full) || Directory.Exists(full);
        if (BuiltInDatasets.IsBuiltIn(path) && !exists) return; // the data loader reads the built-in set
        if (!Inside(full, r => r.Given) && !Inside(full, r => r.Real)) throw Refusal(path, option);
        if (!exists) return; // inside a root: the loader says there is no such file
        if (RealPath(full) is not { } real || !Inside(real, r => r.Real)) throw Refusal(path, option);
        // a folder of IDX files: none of them may lead out of the roots either
        if (Directory.Exists(real))
            foreach (var file in Directory.EnumerateFileSystemEntries(real))
                if (RealPath(file) is not { } target || !Inside(target, r => r.Real)) throw Refusal(path, option);
    }

    private bool Inside(string path, Func<(string Given, string Real), string> root) =>
        _roots!.Any(r => path == root(r) || path.StartsWith(root(r) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || root(r) == "/");

    private UserInputException Refusal(string path, string option) => new(
        $"{option} {path}: outside this silo's data roots; it reads only the built-in sets ({string.Join(", ", BuiltInDatasets.Names)})" +
        (_roots!.Length == 0 ? " (it was given no --data-root)" : $" and files under {string.Join(", ", _roots.Select(r => r.Given))}"));

    /// <summary>The path with every symbolic link resolved (POSIX realpath), or null when it does not exist.</summary>
    private static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
            return File.Exists(path) || Directory.Exists(path) ? new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path) : null;
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(resolved); }
        finally { free(resolved); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
