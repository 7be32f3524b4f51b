namespace Trainer.Core.Data;

/// <summary>
/// A dense data set in memory: features row-major (Count × Features) as float32, one label per row.
/// Labels are class indices 0..Classes−1 for classification, real targets when Classes is 0 (regression).
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, int count, int features, float[] x, float[] y, int classes, string[]? classNames = null)
    {
        if (x.Length != (long)count * features) throw new ArgumentException("feature array does not match count × features");
        if (y.Length != count) throw new ArgumentException("label array does not match count");
        if (classNames is not null && classNames.Length != classes) throw new ArgumentException("class names do not match the classes");
        Name = name; Count = count; Features = features; X = x; Y = y; Classes = classes; ClassNames = classNames;
    }

    public string Name { get; }
    public int Count { get; }
    public int Features { get; }
    public float[] X { get; }
    public float[] Y { get; }
    /// <summary>Number of classes; 0 means a regression target.</summary>
    public int Classes { get; }
    public bool IsRegression => Classes == 0;
    /// <summary>The classes' names when the file named them (class i is ClassNames[i]); null for numeric labels.</summary>
    public string[]? ClassNames { get; }

    /// <summary>[C, H, W] when every row is an image (IDX files: 1 × H × W); null for tabular data.</summary>
    public int[]? ImageShape { get; init; }

    /// <summary>Each feature column's mean over the file's rows that had it, when --missing mean filled its missing cells with them; else null.</summary>
    public double[]? MissingMeans { get; init; }

    public ReadOnlySpan<float> Row(int i) => X.AsSpan(i * Features, Features);

    /// <summary>A new data set holding copies of the given rows, in that order.</summary>
    public Dataset Subset(ReadOnlySpan<int> rows, string? name = null)
    {
        var x = new float[(long)rows.Length * Features];
        var y = new float[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(x.AsSpan(i * Features, Features));
            y[i] = Y[rows[i]];
        }
        return new Dataset(name ?? Name, rows.Length, Features, x, y, Classes, ClassNames) { ImageShape = ImageShape, MissingMeans = MissingMeans };
    }
}
