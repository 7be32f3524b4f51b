using MathNet.Numerics.LinearAlgebra;
using Trainer.Core.Data;

namespace Trainer.Core.Models;

/// <summary>
/// The closed-form linear-regression solution (least squares by QR, in double precision), in the
/// linear model's parameter order (w₁…w_d, b): the optimum that SGD is checked against.
/// </summary>
public static class LeastSquares
{
    public static float[] Fit(Dataset data)
    {
        var d = data.Features;
        var design = Matrix<double>.Build.Dense(data.Count, d + 1, (i, j) => j < d ? data.X[i * d + j] : 1.0);
        var target = Vector<double>.Build.Dense(data.Count, i => data.Y[i]);
        var solution = design.QR().Solve(target);
        return solution.Select(v => (float)v).ToArray();
    }
}
