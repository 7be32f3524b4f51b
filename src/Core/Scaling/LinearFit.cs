namespace Trainer.Core.Scaling;

/// <summary>Ordinary least squares with several columns: the normal equations, solved by elimination.</summary>
public static class LinearFit
{
    /// <summary>The β minimising Σ(y − x·β)²; throws when the columns do not tell the coefficients apart.</summary>
    public static double[] Solve(IReadOnlyList<double[]> x, IReadOnlyList<double> y)
    {
        var n = x[0].Length;
        if (x.Count < n) throw new UserInputException($"the cost model has {n} constants to fit and only {x.Count} runs to fit them to");
        // each column scaled to at most 1: bytes (millions) and milliseconds side by side stay well conditioned
        var s = Enumerable.Range(0, n).Select(i => x.Max(row => Math.Abs(row[i]))).Select(v => v > 0 ? v : 1).ToArray();
        var a = new double[n, n + 1];
        for (var r = 0; r < x.Count; r++)
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++) a[i, j] += x[r][i] / s[i] * x[r][j] / s[j];
                a[i, n] += x[r][i] / s[i] * y[r];
            }
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(a[r, col]));
            if (Math.Abs(a[pivot, col]) < 1e-9 * x.Count)
                throw new UserInputException("the runs do not tell the cost model's constants apart (too few distinct host counts, link rates or rows per host)");
            for (var j = 0; j <= n; j++) (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            for (var r = 0; r < n; r++)
            {
                if (r == col) continue;
                var f = a[r, col] / a[col, col];
                for (var j = col; j <= n; j++) a[r, j] -= f * a[col, j];
            }
        }
        return Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i] / s[i]).ToArray();
    }
}
