using Trainer.Core;

namespace Trainer.Client.Output;

/// <summary>
/// The files of a run, written only when the run has succeeded: each to a temporary name, then
/// renamed into place, report.json last, so a folder with a report.json is always a complete result.
/// </summary>
public sealed class RunOutput(string folder)
{
    private readonly List<(string Name, byte[] Content)> _files = [];

    /// <summary>Fails early, before any training, when the folder cannot be one.</summary>
    public static void CheckTarget(string folder)
    {
        if (File.Exists(folder)) throw new UserInputException($"--out {folder}: is a file, expected a folder");
    }

    public RunOutput Add(string name, byte[] content)
    {
        _files.Add((name, content));
        return this;
    }

    public void Commit()
    {
        try
        {
            Directory.CreateDirectory(folder);
            var final = Path.Combine(folder, "report.json");
            if (File.Exists(final)) File.Delete(final); // a stale report must not vouch for the new files
            foreach (var (name, content) in _files.OrderBy(f => f.Name == "report.json"))
                WriteAtomically(Path.Combine(folder, name), content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {folder}: cannot write the results ({e.Message})");
        }
    }

    /// <summary>A single-file result (--out FILE): fails early when the path is a folder.</summary>
    public static void CheckFileTarget(string file)
    {
        if (Directory.Exists(file)) throw new UserInputException($"--out {file}: is a folder, expected a file");
    }

    /// <summary>Writes a single-file result atomically; an I/O failure is one line naming --out.</summary>
    public static void WriteFile(string file, byte[] content)
    {
        try { WriteAtomically(file, content); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {file}: cannot write ({e.Message})");
        }
    }

    /// <summary>Writes to a temporary name and renames it into place: the file is either old or new, never half-written.</summary>
    public static void WriteAtomically(string path, byte[] content)
    {
        var temporary = path + ".partial";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
