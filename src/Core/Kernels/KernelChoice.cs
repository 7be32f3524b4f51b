namespace Trainer.Core.Kernels;

/// <summary>Picks the kernel: OpenBLAS when the library loads, the managed one otherwise or when asked.</summary>
public static class KernelChoice
{
    public static IReadOnlyList<string> Names { get; } = ["auto", "openblas", "managed"];

    public static IKernel Select(string name = "auto") => name switch
    {
        "auto" => (IKernel?)OpenBlasKernel.TryLoad() ?? ManagedKernel.Instance,
        "managed" => ManagedKernel.Instance,
        "openblas" => OpenBlasKernel.TryLoad() ?? throw new UserInputException(
            "--kernel openblas: libopenblas.so.0 cannot be loaded; install it with 'apt-get install libopenblas0' or use --kernel managed"),
        _ => throw new UserInputException($"--kernel '{name}' is not one of {string.Join(", ", Names)}"),
    };
}
