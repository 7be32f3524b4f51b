namespace Trainer.Core.Data;

/// <summary>A folder of MNIST-style IDX files: train-* and optionally t10k-* images and labels, raw or .gz.</summary>
public static class IdxFolder
{
    public static bool HasTrainingFiles(string folder) =>
        Find(folder, "train-images-idx3-ubyte") is not null && Find(folder, "train-labels-idx1-ubyte") is not null;

    public static (Dataset Train, Dataset? Test) Read(string folder, LabelRule rule, string name)
    {
        var images = Find(folder, "train-images-idx3-ubyte")
            ?? throw new UserInputException($"{folder}: no train-images-idx3-ubyte[.gz] in this folder");
        var labels = Find(folder, "train-labels-idx1-ubyte")
            ?? throw new UserInputException($"{folder}: no train-labels-idx1-ubyte[.gz] in this folder");
        var train = IdxReader.Read(images, labels, rule, name);

        var testImages = Find(folder, "t10k-images-idx3-ubyte");
        var testLabels = Find(folder, "t10k-labels-idx1-ubyte");
        if (testImages is null != testLabels is null)
            throw new UserInputException($"{folder}: has only one of t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte");
        var test = testImages is null ? null
            : IdxReader.Read(testImages, testLabels!, rule with { Classes = train.Classes }, name + " (test)");
        return (train, test);
    }

    /// <summary>Reads a folder that holds only t10k-* or only train-* files, as a held-out set.</summary>
    public static Dataset ReadAny(string folder, LabelRule rule, string name)
    {
        foreach (var prefix in new[] { "t10k", "train" })
        {
            var images = Find(folder, $"{prefix}-images-idx3-ubyte");
            var labels = Find(folder, $"{prefix}-labels-idx1-ubyte");
            if (images is not null && labels is not null) return IdxReader.Read(images, labels, rule, name);
        }
        throw new UserInputException($"{folder}: no t10k-* or train-* IDX images and labels in this folder");
    }

    private static string? Find(string folder, string stem) =>
        new[] { stem + ".gz", stem }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
}
