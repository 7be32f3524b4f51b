using System.Diagnostics;

namespace Trainer.Grains.Tests.Support;

/// <summary>
/// A small tmpfs mounted on a fresh folder (as root), for faults of a real file system: one that fills
/// up, or one mounted read-only (chmod does not stop root). Unmounted and removed when disposed.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>The mounted folder, or null with why it could not be mounted (not root, no mount in a container): the test is then skipped.</summary>
    public static Tmpfs? TryMount(string options, out string reason)
    {
        var path = Directory.CreateTempSubdirectory("trainer-tmpfs-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        reason = code == 0 ? "" : $"cannot mount a tmpfs here ('mount -t tmpfs -o {options}' exited {code}: {output.Trim()}); the test needs root and mount";
        if (code == 0) return new Tmpfs(path);
        Directory.Delete(path);
        return null;
    }

    /// <summary>More (or less) room, its files kept: space freed on a full disk.</summary>
    public void Resize(string size)
    {
        var (code, output) = Run("mount", "-o", $"remount,size={size}", Path);
        if (code != 0) throw new InvalidOperationException($"remount {Path} size={size}: {output}");
    }

    public void Dispose()
    {
        Run("umount", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
