using Trainer.Core.Kernels;

namespace Trainer.Core.Tests.Kernels;

public sealed class KernelChoiceTests
{
    [Theory]
    [InlineData(true, true, "SkylakeX")]
    [InlineData(true, false, "SkylakeX")]
    [InlineData(false, true, "Haswell")]
    [InlineData(false, false, null)]
    public void The_openblas_core_type_follows_the_instruction_sets(bool avx512, bool avx2Fma, string? coreType)
    {
        Assert.Equal(coreType, OpenBlasKernel.CoreTypeFor(avx512, avx2Fma));
    }

    [Fact]
    public void Openblas_runs_the_core_type_chosen_for_this_machine_unless_the_user_set_one()
    {
        var blas = KernelsUnderTest.Get("openblas") as OpenBlasKernel;
        Assert.NotNull(blas);
        var userChoice = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (string.IsNullOrEmpty(userChoice) && OpenBlasKernel.CoreTypeFor(CpuFeatures.Avx512, CpuFeatures.Avx2Fma) is { } chosen)
        {
            Assert.Equal(chosen, blas!.ChosenCoreType);
            Assert.Equal(chosen, blas.CoreType); // OpenBLAS took it (it reads the native environment when it loads)
        }
        Assert.StartsWith($"openblas 0.3.", blas!.Identity);
        Assert.EndsWith($"{blas.CoreType}, {CpuFeatures.VectorWidth}", blas.Identity);
        Assert.Same(blas, KernelChoice.Select("auto")); // auto takes OpenBLAS when it passes its self-check
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void Both_kernels_pass_the_gemm_self_check(string kernel)
    {
        Assert.Null(GemmCheck.Run(KernelsUnderTest.Get(kernel)));
    }

    /// <summary>A kernel wrong in the way a broken core type is: right shape, wrong values in one transposition.</summary>
    private sealed class Broken(IKernel inner, float error) : IKernel
    {
        public string Name => "broken";
        public string Identity => "broken";

        public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
            float beta, Span<float> c, int ldc)
        {
            inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            if (transA) c[0] *= 1 + error;
        }
    }

    [Theory]
    [InlineData(1e-2f)]
    [InlineData(1e-3f)]
    public void A_kernel_that_computes_wrongly_fails_the_self_check_and_says_where(float error)
    {
        var failure = GemmCheck.Run(new Broken(ManagedKernel.Instance, error));
        Assert.NotNull(failure);
        Assert.StartsWith("Aᵀ·B 257×785×33: element 0 is ", failure);
    }

    [Fact]
    public void The_managed_kernel_names_its_vector_width()
    {
        Assert.Equal($"managed, {CpuFeatures.VectorWidth}", ManagedKernel.Instance.Identity);
    }
}
