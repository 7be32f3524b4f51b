using Trainer.CommandLine;

namespace Trainer.Client.CommandLine;

/// <summary>The topics train's options are listed under in its help, in this order (docs/cli.md's table follows them).</summary>
public static class OptionGroups
{
    public static OptionGroup Model { get; } = new("Model");
    public static OptionGroup Data { get; } = new("Data");
    public static OptionGroup Optimisation { get; } = new("Optimisation");
    public static OptionGroup EarlyStopping { get; } = new("Early stopping and targets");
    public static OptionGroup Cluster { get; } = new("Cluster");
    public static OptionGroup Compute { get; } = new("Compute");
    public static OptionGroup Checkpoints { get; } = new("Checkpoints and recovery");
    public static OptionGroup Tls { get; } = new("Mutual TLS (silo processes)");
    public static OptionGroup Monitoring { get; } = new("Telemetry and monitoring");
    public static OptionGroup Output { get; } = new("Config and output");
}
