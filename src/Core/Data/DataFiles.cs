using System.IO.Compression;

namespace Trainer.Core.Data;

/// <summary>Opening data files with errors a user can act on, and transparent gzip.</summary>
public static class DataFiles
{
    public static Stream OpenRead(string path)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path}: is a folder, expected a file");
        if (!File.Exists(path)) throw new UserInputException($"{path}: no such file");
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot be read ({e.Message})");
        }
    }

    /// <summary>The stream itself, or a decompressing view when it starts with the gzip magic bytes.</summary>
    public static Stream MaybeGunzip(Stream stream, string path)
    {
        var buffered = stream.CanSeek ? stream : new BufferedStream(stream);
        Span<byte> head = stackalloc byte[2];
        var start = buffered.Position;
        var n = buffered.Read(head);
        buffered.Position = start;
        if (n == 2 && head[0] == 0x1f && head[1] == 0x8b) return new GZipStream(buffered, CompressionMode.Decompress);
        return buffered;
    }
}
