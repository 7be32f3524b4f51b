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

    /// <summary>
    /// What the bits of a training step depend on: the GEMM's library, version and core type, and the
    /// vector width of the element-wise code (<see cref="CpuFeatures.VectorWidth"/>). Two processes with
    /// the same identity compute the same bits; a sync job's workers must share one.
    /// </summary>
    string Identity { get; }

    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
              ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
              float beta, Span<float> c, int ldc);
}
