using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Trainer.CommandLine;

/// <summary>
/// --version: the product's version, from the program's own assembly (the library would ask the
/// entry assembly, which under a test host is the test host's).
/// </summary>
public sealed class VersionAction(Assembly assembly) : SynchronousCommandLineAction
{
    public static string Of(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown";

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Of(assembly));
        return 0;
    }

    public override bool ClearsParseErrors => true;

    /// <summary>Makes a root command's --version print this assembly's version.</summary>
    public static void Install(RootCommand root, Assembly assembly) =>
        root.Options.OfType<VersionOption>().Single().Action = new VersionAction(assembly);
}
