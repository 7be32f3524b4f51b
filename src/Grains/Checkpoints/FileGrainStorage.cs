using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;

namespace Trainer.Grains.Checkpoints;

/// <summary>
/// Grain storage in files, for embedded and local clusters: each state is written to a temporary
/// file and renamed into place, so a crash never leaves half a checkpoint nor a moment without
/// one; the file before it is kept as ".previous". Each file carries the SHA-256 of its content:
/// a damaged or truncated file is detected, reported, and the previous one used. Silos on one
/// machine share the folder.
/// </summary>
public sealed partial class FileGrainStorage(string root, Serializer serializer, ILogger logger) : IGrainStorage
{
    /// <summary>The store's own records; Orleans's, under the type's name, repeat the grain's exceptions with their stacks and are not shown (SiloSetup.QuietCheckpointErrors).</summary>
    public const string LogCategory = "Trainer.Grains.Checkpoints.CheckpointFiles";

    private static ReadOnlySpan<byte> Magic => "TRCK"u8;
    private const int HeaderLength = 4 + 8 + 32;

    public string Root { get; } = root;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        string? damage = null;
        foreach (var candidate in new[] { path, path + ".previous" })
        {
            if (!File.Exists(candidate)) continue;
            if (TryRead(candidate, out T? state, out var problem))
            {
                grainState.State = state!;
                grainState.RecordExists = true;
                grainState.ETag = candidate == path ? "current" : "previous";
                if (damage is not null)
                {
                    DamagedCheckpoint(damage, candidate);
                    if (state is ParameterServer.JobState job) job.RecoveryNote = $"{damage}; using the previous checkpoint";
                }
                return Task.CompletedTask;
            }
            damage ??= $"checkpoint {candidate} is damaged ({problem})";
        }
        if (damage is not null) throw new InvalidDataException($"{damage}, and no usable previous checkpoint exists");
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var payload = serializer.SerializeToArray(grainState.State);
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            EnsureFolder(Path.GetDirectoryName(path)!);
            await WriteFileAsync(temporary, payload);
            // Replace links the old file to ".previous" before renaming the new one over it: unlike two
            // moves, it leaves no moment without a current checkpoint (a kill there failed CI once).
            if (File.Exists(path)) File.Replace(temporary, path, path + ".previous");
            else File.Move(temporary, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // nothing half-written stays behind, and the space it took is free again before it is counted
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            var fault = CheckpointFolderException.Classify(e, Root, HeaderLength + payload.Length, folderGone: _rootSeen && !Directory.Exists(Root));
            WriteFailed(path, fault?.Message ?? e.Message, e); // the stack for whoever reads the logs at debug level; the job says it in one line
            if (fault is null) throw;
            throw fault;
        }
        grainState.ETag = "current";
        grainState.RecordExists = true;
    }

    /// <summary>
    /// The job's folder, made when missing; the root is made the first time only: a root that was
    /// there and is gone was removed or unmounted, and writing a new one in its place would hide that.
    /// </summary>
    private void EnsureFolder(string folder)
    {
        if (_rootSeen && !Directory.Exists(Root)) throw new DirectoryNotFoundException($"{Root} is gone");
        Directory.CreateDirectory(folder);
        _rootSeen = true;
    }

    private volatile bool _rootSeen;

    private static async Task WriteFileAsync(string path, byte[] payload)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.WriteThrough);
        file.Write(Magic);
        file.Write(BitConverter.GetBytes((long)payload.Length));
        file.Write(SHA256.HashData(payload));
        await file.WriteAsync(payload);
        file.Flush(flushToDisk: true);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var folder = Path.GetDirectoryName(path)!;
        if (Directory.Exists(folder)) // a folder that is gone holds nothing to delete
        {
            File.Delete(path);
            File.Delete(path + ".previous");
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        grainState.RecordExists = false;
        grainState.ETag = null;
        return Task.CompletedTask;
    }

    private bool TryRead<T>(string path, out T? state, out string problem)
    {
        state = default;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderLength || !bytes.AsSpan(0, 4).SequenceEqual(Magic)) { problem = "not a checkpoint file"; return false; }
        var length = BitConverter.ToInt64(bytes, 4);
        if (length != bytes.Length - HeaderLength) { problem = $"truncated: {bytes.Length - HeaderLength} of {length} bytes"; return false; }
        var payload = bytes.AsSpan(HeaderLength);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan(12, 32))) { problem = "SHA-256 does not match"; return false; }
        try
        {
            state = serializer.Deserialize<T>(payload.ToArray());
            problem = "";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problem = $"unreadable: {e.Message}";
            return false;
        }
    }

    private string PathOf(string stateName, GrainId grainId)
    {
        var safe = string.Concat(grainId.ToString().Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_'));
        return Path.Combine(Root, safe, stateName + ".checkpoint");
    }
}
