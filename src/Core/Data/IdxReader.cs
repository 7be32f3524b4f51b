using System.Buffers.Binary;

namespace Trainer.Core.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (raw or gzip): checks the magic number, the
/// dimensions and the counts, and reports a truncated file as such. Pixels are scaled to [0, 1].
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Images (n × rows × cols, uint8) and their labels, which must agree in count.</summary>
    public static Dataset Read(string imagesPath, string labelsPath, LabelRule rule, string name)
    {
        var (imageDims, pixels) = ReadFile(imagesPath, expectedRank: 3);
        var (labelDims, rawLabels) = ReadFile(labelsPath, expectedRank: 1);
        if (imageDims[0] != labelDims[0])
            throw new UserInputException($"{imagesPath} has {imageDims[0]} images but {labelsPath} has {labelDims[0]} labels");

        var count = imageDims[0];
        var features = imageDims[1] * imageDims[2];
        var x = new float[(long)count * features];
        for (long i = 0; i < x.Length; i++) x[i] = pixels[i] / 255f;

        var labels = new LabelCollector(rule, labelsPath);
        for (var i = 0; i < count; i++) labels.Add(rawLabels[i], $"label {i}");
        var (y, classes) = labels.Finish();
        return new Dataset(name, count, features, x, y, classes) { ImageShape = [1, imageDims[1], imageDims[2]] };
    }

    /// <summary>One IDX file of unsigned bytes: its dimensions and its data.</summary>
    public static (int[] Dimensions, byte[] Data) ReadFile(string path, int expectedRank)
    {
        using var file = DataFiles.OpenRead(path);
        using var stream = DataFiles.MaybeGunzip(file, path);
        Span<byte> magic = stackalloc byte[4];
        if (ReadFully(stream, magic) < 4) throw new UserInputException($"{path}: the file is empty or too short for an IDX header");
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByte || magic[3] != expectedRank)
            throw new UserInputException($"{path}: wrong IDX magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}, expected 0x{0x800 | expectedRank:X8} (unsigned bytes, {expectedRank} dimension{(expectedRank > 1 ? "s" : "")})");

        var dims = new int[expectedRank];
        Span<byte> word = stackalloc byte[4];
        long size = 1;
        for (var d = 0; d < expectedRank; d++)
        {
            if (ReadFully(stream, word) < 4) throw new UserInputException($"{path}: truncated IDX header");
            var dim = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dim <= 0) throw new UserInputException($"{path}: IDX dimension {d} is {dim}, must be positive");
            dims[d] = dim;
            size *= dim;
        }
        if (size > Array.MaxLength) throw new UserInputException($"{path}: IDX data of {size} bytes is too large");

        var data = new byte[size];
        var read = ReadFully(stream, data);
        if (read < size) throw new UserInputException($"{path}: truncated: the header promises {size} bytes of data, the file has {read}");
        return (dims, data);
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        try
        {
            while (total < buffer.Length)
            {
                var n = stream.Read(buffer[total..]);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException) { /* a gzip stream cut short reads as the end of the data */ }
        return total;
    }
}
