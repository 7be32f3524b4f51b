namespace Trainer.Core.Models;

/// <summary>
/// One named tensor inside the flat parameter vector. The order is the model file's and the hash's:
/// for each layer in turn its weights (Rows = outputs × Cols = inputs, row-major), then its biases.
/// </summary>
public sealed record ParameterTensor(string Name, int Offset, int Rows, int Cols, bool IsBias)
{
    public int Length => Rows * Cols;
}
