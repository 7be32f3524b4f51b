using System.Buffers.Binary;
using System.IO.Compression;
using Trainer.Core.Data;

namespace Trainer.Core.Tests.Data;

public sealed class IdxReaderTests
{
    private static readonly LabelRule Classes = new(true);

    internal static byte[] Images(int count, int rows, int cols, int? truncateTo = null, uint magic = 0x00000803)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (var i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        return truncateTo is { } n ? bytes[..n] : bytes;
    }

    internal static byte[] Labels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }

    [Fact]
    public void Reads_raw_and_gzip_files_with_pixels_scaled_to_unit_interval()
    {
        using var folder = new TestData.TempFolder();
        var images = Images(3, 2, 2);
        var raw = IdxReader.Read(folder.File("i", images), folder.File("l", Labels(0, 9, 4)), Classes, "t");
        var gz = IdxReader.Read(folder.File("i.gz", Gzip(images)), folder.File("l.gz", Gzip(Labels(0, 9, 4))), Classes, "t");
        Assert.Equal((3, 4, 10), (raw.Count, raw.Features, raw.Classes));
        Assert.Equal(images[16] / 255f, raw.X[0]);
        Assert.Equal(raw.X, gz.X);
        Assert.Equal([0f, 9f, 4f], gz.Y);
        Assert.All(raw.X, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Wrong_magic_number_is_named()
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("i", Images(1, 2, 2, magic: 0x00000903));
        var error = Assert.Throws<UserInputException>(() => IdxReader.Read(path, folder.File("l", Labels(1)), Classes, "t"));
        Assert.Equal($"{path}: wrong IDX magic number 0x00000903, expected 0x00000803 (unsigned bytes, 3 dimensions)", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_file_is_reported_as_truncated(bool gzip)
    {
        using var folder = new TestData.TempFolder();
        var images = Images(2, 2, 2, truncateTo: 20);
        var path = folder.File("i", gzip ? Gzip(images) : images);
        var error = Assert.Throws<UserInputException>(() => IdxReader.Read(path, folder.File("l", Labels(1, 2)), Classes, "t"));
        Assert.Equal($"{path}: truncated: the header promises 8 bytes of data, the file has 4", error.Message);
    }

    [Fact]
    public void Truncated_gzip_stream_is_reported_as_truncated()
    {
        using var folder = new TestData.TempFolder();
        var compressed = Gzip(Images(50, 28, 28));
        var path = folder.File("i.gz", compressed[..(compressed.Length / 2)]);
        var error = Assert.Throws<UserInputException>(() => IdxReader.Read(path, folder.File("l", Labels(new byte[50])), Classes, "t"));
        Assert.Contains($"{path}: truncated", error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        using var folder = new TestData.TempFolder();
        var images = folder.File("i", Images(3, 2, 2));
        var labels = folder.File("l", Labels(1, 2));
        var error = Assert.Throws<UserInputException>(() => IdxReader.Read(images, labels, Classes, "t"));
        Assert.Equal($"{images} has 3 images but {labels} has 2 labels", error.Message);
    }

    [Fact]
    public void Empty_and_missing_files_are_named()
    {
        using var folder = new TestData.TempFolder();
        var empty = folder.File("i", []);
        Assert.Equal($"{empty}: the file is empty or too short for an IDX header",
            Assert.Throws<UserInputException>(() => IdxReader.ReadFile(empty, 3)).Message);
        var missing = Path.Combine(folder.Path, "nope");
        Assert.Equal($"{missing}: no such file", Assert.Throws<UserInputException>(() => IdxReader.ReadFile(missing, 3)).Message);
    }

    [Fact]
    public void Test_labels_beyond_the_training_classes_are_out_of_range()
    {
        using var folder = new TestData.TempFolder();
        var labels = folder.File("l", Labels(1, 12));
        var error = Assert.Throws<UserInputException>(() => IdxReader.Read(folder.File("i", Images(2, 2, 2)), labels, new LabelRule(true, 10), "t"));
        Assert.Equal($"{labels}, label 1: label 12 is out of range: expected 0..9", error.Message);
    }
}
