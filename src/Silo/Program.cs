using Microsoft.Extensions.Hosting;
using Trainer.Silo;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (!builder.TryAddTrainerSilo(out var options, out var error))
{
    Console.Error.WriteLine($"error: {error}");
    return 2;
}
using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (SiloOptionsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
Console.WriteLine($"silo ready: cluster {options.Cluster}, silo port {options.SiloPort}, gateway port {options.GatewayPort}, advertised {options.Advertise}" +
                  (options.HealthPort is { } health ? $", health probes on port {health}" : ""));
await host.WaitForShutdownAsync();
Console.WriteLine("silo stopped");
return 0;
