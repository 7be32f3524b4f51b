using Microsoft.Extensions.Configuration;
using Trainer.CommandLine;

namespace Trainer.Silo;

/// <summary>
/// Where the silo's settings come from, as configuration sources over appsettings.json: the TRAINER_*
/// environment variables (TRAINER_SILO_PORT), then the command line (--silo-port), which wins. Both
/// become keys of the "Silo" section (Silo:SiloPort); Orleans's own "Orleans" section is left to it.
/// </summary>
public static class SiloConfiguration
{
    public static IConfigurationBuilder AddSiloSettings(this IConfigurationBuilder configuration,
        IReadOnlyDictionary<string, string?> commandLine, Func<string, string?> environment) =>
        configuration.AddInMemoryCollection(FromEnvironment(environment)).AddInMemoryCollection(FromOptions(commandLine));

    /// <summary>The TRAINER_* variables of the silo's options, as configuration keys.</summary>
    public static Dictionary<string, string?> FromEnvironment(Func<string, string?> environment) =>
        SiloCommandLine.Options
            .Select(o => (o.Name, Value: environment(OptionEnvironment.Variable(o.Name))))
            .Where(v => !string.IsNullOrEmpty(v.Value))
            .ToDictionary(v => Key(v.Name), v => v.Value);

    /// <summary>Options by name (--silo-port) as configuration keys (Silo:SiloPort).</summary>
    public static Dictionary<string, string?> FromOptions(IReadOnlyDictionary<string, string?> options) =>
        options.ToDictionary(o => Key(o.Key), o => o.Value);

    public static string Key(string option) =>
        $"{SiloSettings.Section}:{string.Concat(option.TrimStart('-').Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))}";
}
