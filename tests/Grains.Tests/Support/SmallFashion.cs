using System.Buffers.Binary;
using System.IO.Compression;
using Trainer.Core.Data;

namespace Trainer.Grains.Tests.Support;

/// <summary>
/// The first rows of Fashion-MNIST as an IDX folder of their own (28 × 28 images, train and t10k):
/// LeNet's real input at a size whose epochs take a second, for exact comparisons on clusters.
/// Written once per test run into a temporary folder of its own, deleted when the run ends.
/// </summary>
internal static class SmallFashion
{
    private static readonly Lazy<string> Written = new(() => Write(trainRows: 600, testRows: 200));
    private static readonly Lazy<string> WrittenLarger = new(() => Write(trainRows: 6000, testRows: 200));

    public static string Folder => Written.Value;

    /// <summary>6,000 training images: epochs long enough (about 170 steps) for a test to act in the middle of one.</summary>
    public static string LargerFolder => WrittenLarger.Value;

    private static string Write(int trainRows, int testRows)
    {
        // this test run's own copy: a folder shared between runs can vanish under one (another run's clean-up)
        var folder = Path.Combine(Path.GetTempPath(), $"trainer-small-fashion-{trainRows}-{testRows}-{Environment.ProcessId}");
        var source = BuiltInDatasets.LocateFashionMnist();
        Directory.CreateDirectory(folder);
        foreach (var (prefix, rows) in new[] { ("train", trainRows), ("t10k", testRows) })
        {
            Copy(Path.Combine(source, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), rows, headerInts: 4, rowBytes: 28 * 28);
            Copy(Path.Combine(source, $"{prefix}-labels-idx1-ubyte.gz"), Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), rows, headerInts: 2, rowBytes: 1);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } };
        return folder;
    }

    /// <summary>An IDX file's header with the count set to <paramref name="rows"/>, and its first rows.</summary>
    private static void Copy(string gz, string target, int rows, int headerInts, int rowBytes)
    {
        using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
        var bytes = new byte[4 * headerInts + rows * rowBytes];
        input.ReadExactly(bytes);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), rows);
        File.WriteAllBytes(target, bytes);
    }
}
