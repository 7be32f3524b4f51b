using Microsoft.Extensions.Configuration;

namespace Trainer.Silo;

/// <summary>
/// The silo's settings as configuration holds them, in its "Silo" section (SiloPort, GatewayPort, …):
/// from the command line, the TRAINER_* environment variables and appsettings.json, in that order
/// (<see cref="SiloConfiguration"/>). They stay text, as configuration is: <see cref="SiloOptions.From(SiloSettings, Func{string, string?})"/>
/// reads them with messages that name the option, and <see cref="SiloSettingsValidator"/> refuses a bad one at start.
/// </summary>
public sealed class SiloSettings
{
    public const string Section = "Silo";

    public string? Cluster { get; set; }
    public string? SiloPort { get; set; }
    public string? GatewayPort { get; set; }
    public string? Primary { get; set; }
    public string? Advertise { get; set; }
    public string? ServiceId { get; set; }
    public string? ClusterId { get; set; }
    public string? CheckpointDir { get; set; }
    public string? FailureDetection { get; set; }
    public string? HealthPort { get; set; }
    public string? MetricsPort { get; set; }
    public string? MetricsAddress { get; set; }
    public string? DrainDelay { get; set; }
    public string? StorePatience { get; set; }
    public string? Telemetry { get; set; }
    public string? OtlpEndpoint { get; set; }
    public string? TlsCertificate { get; set; }
    public string? TlsPassword { get; set; }
    public string? TlsStoreSubject { get; set; }
    public string? TlsCa { get; set; }
    public string? TlsOperators { get; set; }
    public string? DataRoot { get; set; }
    public string? MemoryLimit { get; set; }
    public string? MaxJobs { get; set; }

    public static SiloSettings Read(IConfiguration configuration) => configuration.GetSection(Section).Get<SiloSettings>() ?? new();
}
