using Trainer.Core.Kernels;

namespace Trainer.Core.Tests;

/// <summary>Both kernels, so that every math test runs on each: OpenBLAS is installed by .ci/run.</summary>
public static class KernelsUnderTest
{
    public static TheoryData<string> Names => ["managed", "openblas"];

    public static IKernel Get(string name) => name == "openblas"
        ? OpenBlasKernel.TryLoad() ?? throw new InvalidOperationException("libopenblas.so.0 is not installed: run .ci/run or 'apt-get install libopenblas0'")
        : ManagedKernel.Instance;
}
