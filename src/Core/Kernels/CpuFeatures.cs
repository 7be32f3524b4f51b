using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Trainer.Core.Kernels;

/// <summary>
/// The instruction sets this process may use, as .NET sees them (so DOTNET_EnableAVX512F=0 and the
/// like make a machine look older): what an OpenBLAS core type is chosen by, and part of a kernel's identity.
/// </summary>
public static class CpuFeatures
{
    /// <summary>AVX-512 with the subsets OpenBLAS's SkylakeX kernels use (F, BW, DQ, VL).</summary>
    public static bool Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported;

    public static bool Avx2Fma => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The widest vectors the element-wise code (TensorPrimitives) runs on: its reductions' bits depend on it.</summary>
    public static string VectorWidth =>
        Vector512.IsHardwareAccelerated ? "avx512" : Vector256.IsHardwareAccelerated ? (Fma.IsSupported ? "avx2+fma" : "avx2") :
        Vector128.IsHardwareAccelerated ? "sse" : $"scalar ({Vector<float>.Count} floats)";
}
