using System.Runtime.InteropServices;

namespace Trainer.Core.Kernels;

/// <summary>
/// cblas_sgemm from Debian's libopenblas0 (libopenblas.so.0), bound at run time so that the product
/// still runs, on the managed kernel, where the library is absent. OpenBLAS's own threads are set
/// to one: the trainer computes partitions in parallel, which keeps results independent of threads.
/// </summary>
public sealed unsafe class OpenBlasKernel : IKernel
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly Lazy<OpenBlasKernel?> Loaded = new(Load);

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;

    private OpenBlasKernel(nint library)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        if (NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out var setThreads))
            ((delegate* unmanaged<int, void>)setThreads)(1);
        if (NativeLibrary.TryGetExport(library, "openblas_get_config", out var getConfig))
            Config = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)getConfig)()) ?? "";
    }

    /// <summary>The library when it can be loaded, otherwise null.</summary>
    public static OpenBlasKernel? TryLoad() => Loaded.Value;

    public string Name => "openblas";

    /// <summary>OpenBLAS's own description of its build and the core type it chose.</summary>
    public string Config { get; } = "";

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
                     ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                     float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    private static OpenBlasKernel? Load()
    {
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas" })
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "cblas_sgemm", out _))
                return new OpenBlasKernel(library);
        return null;
    }
}
