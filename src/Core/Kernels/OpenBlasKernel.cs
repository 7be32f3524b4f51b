using System.Runtime.InteropServices;

namespace Trainer.Core.Kernels;

/// <summary>
/// cblas_sgemm from Debian's libopenblas0 (libopenblas.so.0), bound at run time so that the product
/// still runs, on the managed kernel, where the library is absent. OpenBLAS's own threads are set
/// to one: the trainer computes partitions in parallel, which keeps results independent of threads.
/// <para>
/// The core type. A DYNAMIC_ARCH OpenBLAS picks its kernels by CPU model when it loads, and falls
/// back to an old one (Prescott: SSE3, a third of the speed) on a model it does not know. So the
/// core type is chosen here by the instruction sets the process may use, before the library loads
/// (it reads OPENBLAS_CORETYPE then): SkylakeX with AVX-512, Haswell with AVX2 and FMA. That also
/// gives every machine with the same instruction sets the same kernels, and so the same bits. A
/// core type the user set is kept. The library is then checked with GEMMs of the training's shapes
/// against double-precision products (<see cref="GemmCheck"/>); one that fails is not used.
/// </para>
/// </summary>
public sealed unsafe class OpenBlasKernel : IKernel
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private const string CoreTypeVariable = "OPENBLAS_CORETYPE";
    private static readonly Lazy<(OpenBlasKernel? Kernel, string? Problem)> Loaded = new(Load);

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;

    private OpenBlasKernel(nint library, string? chosenCoreType)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        if (NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out var setThreads))
            ((delegate* unmanaged<int, void>)setThreads)(1);
        if (NativeLibrary.TryGetExport(library, "openblas_get_config", out var getConfig))
            Config = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)getConfig)()) ?? "";
        if (NativeLibrary.TryGetExport(library, "openblas_get_corename", out var getCore))
            CoreType = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)getCore)()) ?? "unknown";
        ChosenCoreType = chosenCoreType;
        var version = Config.Split(' ').Skip(1).FirstOrDefault() ?? "?";
        Identity = $"openblas {version} {CoreType}, {CpuFeatures.VectorWidth}";
    }

    /// <summary>The library when it loads and passes its self-check, otherwise null.</summary>
    public static OpenBlasKernel? TryLoad() => Loaded.Value.Kernel;

    /// <summary>Why the library is not used: absent, or failing its self-check (null when it is used).</summary>
    public static string? Problem => Loaded.Value.Problem;

    public string Name => "openblas";
    public string Identity { get; }

    /// <summary>OpenBLAS's own description of its build and the core type it runs.</summary>
    public string Config { get; } = "";
    /// <summary>The core type OpenBLAS runs (openblas_get_corename).</summary>
    public string CoreType { get; } = "unknown";
    /// <summary>The core type this process chose for it by instruction set; null when the user's OPENBLAS_CORETYPE or OpenBLAS itself decided.</summary>
    public string? ChosenCoreType { get; }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
                     ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                     float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>The core type for this machine's instruction sets: SkylakeX (AVX-512), Haswell (AVX2 and FMA), or none (OpenBLAS decides).</summary>
    public static string? CoreTypeFor(bool avx512, bool avx2Fma) => avx512 ? "SkylakeX" : avx2Fma ? "Haswell" : null;

    private static (OpenBlasKernel?, string?) Load()
    {
        string? chosen = null;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CoreTypeVariable)))
        {
            chosen = CoreTypeFor(CpuFeatures.Avx512, CpuFeatures.Avx2Fma);
            // OpenBLAS reads the native environment when it loads; .NET's own copy would not reach it
            if (chosen is not null && SetNativeVariable(CoreTypeVariable, chosen) != 0) chosen = null;
        }
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas" })
        {
            if (!NativeLibrary.TryLoad(name, out var library) || !NativeLibrary.TryGetExport(library, "cblas_sgemm", out _)) continue;
            var kernel = new OpenBlasKernel(library, chosen);
            return GemmCheck.Run(kernel) is { } failure
                ? (null, $"OpenBLAS (core {kernel.CoreType}) fails its GEMM self-check: {failure}")
                : (kernel, null);
        }
        return (null, "libopenblas.so.0 cannot be loaded; install it with 'apt-get install libopenblas0'");
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetNativeVariable(string name, string value, int overwrite = 0);
}
