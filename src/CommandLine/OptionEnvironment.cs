namespace Trainer.CommandLine;

/// <summary>The environment variable of an option: TRAINER_ and its name, dashes as underscores (--silo-port: TRAINER_SILO_PORT).</summary>
public static class OptionEnvironment
{
    public const string Prefix = "TRAINER_";

    public static string Variable(string option) => Prefix + option.TrimStart('-').Replace('-', '_').ToUpperInvariant();
}
