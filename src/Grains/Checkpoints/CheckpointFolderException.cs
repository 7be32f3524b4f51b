namespace Trainer.Grains.Checkpoints;

/// <summary>
/// A checkpoint folder that cannot take a checkpoint for a reason the user can fix: the disk is full,
/// the folder is read-only or not ours to write, or it is gone (removed or unmounted while the job
/// ran). It is an <see cref="IOException"/>, so a running job puts the checkpoint off and tries again
/// (space may be freed); its message is the one line the user reads, with what to do.
/// </summary>
[GenerateSerializer, Alias("trainer.checkpoint-folder")]
public sealed class CheckpointFolderException(string problem, string remedy, string resumeRemedy) : IOException($"{problem}; {remedy}")
{
    /// <summary>What is wrong: "no space left on DIR: N bytes free, a checkpoint needs M".</summary>
    [Id(0)] public string Problem { get; } = problem;
    /// <summary>What a job that cannot start should do: "free space or pass --checkpoint-dir".</summary>
    [Id(1)] public string Remedy { get; } = remedy;
    /// <summary>What to do before a stopped job's checkpoint can be continued: "free space".</summary>
    [Id(2)] public string ResumeRemedy { get; } = resumeRemedy;

    private const int UnixNotADirectory = 20, UnixNoSpace = 28, UnixReadOnlyFileSystem = 30;
    private const int WindowsDiskFull = unchecked((int)0x80070070), WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>A failed write of <paramref name="bytes"/> bytes into <paramref name="folder"/> as the user's fault to fix, or null for anything else.</summary>
    public static CheckpointFolderException? Classify(Exception e, string folder, long bytes, bool folderGone)
    {
        // .NET reports a file in the path (ENOTDIR) as a missing directory too
        if (!folderGone && e is DirectoryNotFoundException or IOException { HResult: UnixNotADirectory } && FileInPath(folder))
            return new($"cannot write checkpoints to {folder}: a part of its path is a file, not a folder", "pass --checkpoint-dir a folder", "move the file out of its way");
        if (folderGone || e is DirectoryNotFoundException)
            return new($"the checkpoint folder {folder} is gone (removed or unmounted while the job ran)", "restore it or pass --checkpoint-dir",
                "restore it with its checkpoints");
        if (e is UnauthorizedAccessException)
            return new($"cannot write checkpoints to {folder}: permission denied", "make it writable or pass --checkpoint-dir", "make it writable");
        if (e is not IOException io) return null;
        if (io.HResult == UnixReadOnlyFileSystem)
            return new($"cannot write checkpoints to {folder}: it is on a read-only file system", "make it writable or pass --checkpoint-dir", "make it writable");
        var free = FreeBytes(folder);
        if (io.HResult is UnixNoSpace or WindowsDiskFull or WindowsHandleDiskFull || free < bytes)
            return new($"no space left on {folder}: {(free is { } n ? $"{n:N0} bytes free" : "the disk is full")}, a checkpoint needs {bytes:N0}", "free space or pass --checkpoint-dir",
                "free space");
        return null;
    }

    private static bool FileInPath(string folder)
    {
        for (var path = Path.GetFullPath(folder); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
            if (File.Exists(path)) return true;
        return false;
    }

    /// <summary>What the file system of the folder (or its nearest existing parent) has free for us; null when it cannot say.</summary>
    public static long? FreeBytes(string folder)
    {
        try
        {
            var existing = new DirectoryInfo(Path.GetFullPath(folder));
            while (existing is { Exists: false }) existing = existing.Parent;
            return existing is null ? null : new DriveInfo(existing.FullName).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
