namespace Trainer.Core.Data;

/// <summary>
/// Preprocessing fitted on the training part only and saved with the model, so that evaluation and
/// prediction see features exactly as training did. Pixels (IDX) are scaled to [0, 1] by the reader
/// and need nothing more; tabular features are standardised. A regression target's mean and
/// standard deviation are kept too: the model learns the standardised target and predicts in the
/// target's own units (<see cref="Models.SquaredError"/>), so one learning rate suits any target scale.
/// </summary>
public sealed record Preprocessor(string Kind, float[]? Mean = null, float[]? Scale = null, double? TargetMean = null, double? TargetScale = null)
{
    public const string None = "none";
    public const string Standardise = "standardise";

    public static Preprocessor Identity { get; } = new(None);

    /// <summary>Per-feature mean and standard deviation of the data (constant features keep scale 1), and the regression target's.</summary>
    public static Preprocessor FitStandardiser(Dataset train)
    {
        var d = train.Features;
        var sum = new double[d];
        var sumSq = new double[d];
        for (var i = 0; i < train.Count; i++)
        {
            var row = train.Row(i);
            for (var j = 0; j < d; j++) { sum[j] += row[j]; sumSq[j] += (double)row[j] * row[j]; }
        }
        var mean = new float[d];
        var scale = new float[d];
        for (var j = 0; j < d; j++)
        {
            var m = sum[j] / train.Count;
            var variance = Math.Max(0, sumSq[j] / train.Count - m * m);
            mean[j] = (float)m;
            scale[j] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        var (targetMean, targetScale) = train.IsRegression ? TargetStatistics(train.Y) : ((double?)null, (double?)null);
        return new Preprocessor(Standardise, mean, scale, targetMean, targetScale);
    }

    private static (double?, double?) TargetStatistics(float[] y)
    {
        double sum = 0, sumSq = 0;
        foreach (var v in y) { sum += v; sumSq += (double)v * v; }
        var m = sum / y.Length;
        var variance = Math.Max(0, sumSq / y.Length - m * m);
        return (m, variance > 1e-12 ? Math.Sqrt(variance) : 1);
    }

    /// <summary>Applies the preprocessing in place.</summary>
    public void Apply(Dataset data)
    {
        if (Kind == None) return;
        if (Mean!.Length != data.Features)
            throw new UserInputException($"{data.Name}: has {data.Features} features, the model was trained on {Mean.Length}");
        for (var i = 0; i < data.Count; i++)
        {
            var row = data.X.AsSpan(i * data.Features, data.Features);
            for (var j = 0; j < row.Length; j++) row[j] = (row[j] - Mean[j]) / Scale![j];
        }
    }
}
