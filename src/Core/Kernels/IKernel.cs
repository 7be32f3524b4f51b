namespace Trainer.Core.Kernels;

/// <summary>
/// The one operation that dominates training time: single-precision GEMM on row-major matrices,
/// C = alpha·op(A)·op(B) + beta·C with op(A) m×k and op(B) k×n. Vector work (bias, activations,
/// updates) uses <see cref="System.Numerics.Tensors.TensorPrimitives"/>, the same SIMD code on every kernel.
/// A kernel computes on the calling thread; parallelism comes from computing partitions side by side.
/// </summary>
public interface IKernel
{
    /// <summary>"openblas" or "managed": what the report and the benchmark call it.</summary>
    string Name { get; }

    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
              ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
              float beta, Span<float> c, int ldc);
}
