using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Trainer.Silo;

IReadOnlyDictionary<string, string?> commandLine;
try
{
    (commandLine, var exit) = SiloCommandLine.Parse(args, Console.Out);
    if (exit is { } code) return code; // --help, --version
}
catch (SiloOptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

var builder = SiloHosting.CreateBuilder(AppContext.BaseDirectory);
if (!builder.TryAddTrainerSilo(commandLine, out var options, out var error))
{
    Console.Error.WriteLine($"error: {error}");
    return 2;
}
using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (Exception e) when (e is SiloOptionsException or OptionsValidationException)
{
    Console.Error.WriteLine($"error: {(e as OptionsValidationException)?.Failures.First() ?? e.Message}");
    return 2;
}
Console.WriteLine($"silo ready: cluster {options.Cluster}, silo port {options.SiloPort}, gateway port {options.GatewayPort}, advertised {options.Advertise}" +
                  (options.HealthPort is { } health ? $", health probes on port {health}" : "") +
                  (options.MetricsPort is { } metrics ? $", metrics and dashboard at {MetricsEndpoint.Url(options.MetricsAddress, metrics, options.Tls is not null)}" : "") +
                  $", data roots {(options.DataRoots.Count == 0 ? "none (built-in sets only)" : string.Join(", ", options.DataRoots))}" +
                  (options.MemoryLimit is { } limit ? $", memory limit {Trainer.Core.Training.MemoryEstimate.Format(limit)}" : "") +
                  (options.MaxJobs is { } max ? $", at most {max} jobs" : "") +
                  (options.Tls is { } tls
                      ? $", mutual TLS (CA {tls.CaFile ?? "the system's roots"}), " + // the operators enforced: the file is not read again
                        (host.Services.GetRequiredService<Trainer.Grains.Admission.JobOwnership>().OperatorCount is var operators and > 0 ? $"{operators} operator certificate{(operators == 1 ? "" : "s")}" : "no operators")
                      : ", TLS off"));
await host.WaitForShutdownAsync();
Console.WriteLine("silo stopped");
return 0;
