namespace Trainer.Core.Kernels;

/// <summary>
/// Picks the kernel. <c>auto</c> takes the fastest kernel that passes its self-check: OpenBLAS with
/// the core type chosen for the machine (about three times the managed kernel's speed on one thread),
/// else the managed one.
/// </summary>
public static class KernelChoice
{
    public static IReadOnlyList<string> Names { get; } = ["auto", "openblas", "managed"];

    public static IKernel Select(string name = "auto") => name switch
    {
        "auto" => (IKernel?)OpenBlasKernel.TryLoad() ?? ManagedKernel.Instance,
        "managed" => ManagedKernel.Instance,
        "openblas" => OpenBlasKernel.TryLoad() ?? throw new UserInputException($"--kernel openblas: {OpenBlasKernel.Problem}; or use --kernel managed"),
        _ => throw new UserInputException($"--kernel '{name}' is not one of {string.Join(", ", Names)}"),
    };
}
