using System.CommandLine;
using System.CommandLine.Invocation;
using Trainer.CommandLine;
using Trainer.Grains.Hosting;

namespace Trainer.Silo;

/// <summary>
/// The silo's command line, on System.CommandLine as the trainer's: --help, --version, response
/// files, and a mistake (an unknown or mistyped option, a missing value) refused in one line with
/// exit code 2, instead of being ignored as the configuration's command-line provider would.
/// </summary>
public static class SiloCommandLine
{
    public const string Program = "Trainer.Silo";

    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--cluster", "membership: localhost (one silo is the primary) or redis://HOST:PORT (default localhost)", "KIND"),
        new("--silo-port", "the port silos talk to each other on (default 11111)", "PORT"),
        new("--gateway-port", "the port trainers connect to (default 30000)", "PORT"),
        new("--primary", "localhost clustering: the primary silo's IP:PORT (default: this silo is the primary)", "IP:PORT"),
        new("--advertise", "Redis clustering: the address other silos reach this one at (default $POD_IP, else 127.0.0.1)", "IP"),
        new("--service-id", $"the service id (default $ORLEANS_SERVICE_ID, else {SiloSetup.DefaultServiceId})", "ID"),
        new("--cluster-id", $"the cluster id (default $ORLEANS_CLUSTER_ID, else {SiloSetup.DefaultClusterId})", "ID"),
        new("--checkpoint-dir", "localhost clustering: the checkpoint folder, shared by the silos of one machine (default $TRAINER_CHECKPOINTS or ~/.local/share/trainer/checkpoints)", "DIR"),
        new("--failure-detection", "fast: a dead silo is noticed within seconds; orleans: Orleans's defaults, for loaded or distant networks (default fast)", "MODE")
            { Choices = ["fast", "orleans"] },
        new("--health-port", $"HTTP {HealthEndpoint.LivePath} and {HealthEndpoint.ReadyPath} probes on this port, on every interface; nothing about jobs (default: none; {SiloOptions.DefaultPodHealthPort} in a pod)", "PORT"),
        new("--metrics-port", $"{Trainer.Grains.Hosting.PrometheusMetrics.Path} (Prometheus) and {Trainer.Grains.Dashboard.DashboardPage.Path} (the page of the jobs whose parameter server runs here) on this port; HTTPS with client certificates of the cluster's CA when the cluster runs TLS (default: none)", "PORT"),
        new("--metrics-address", "the address --metrics-port listens on; 0.0.0.0 for every interface (default 127.0.0.1)", "IP"),
        new("--drain-delay", "seconds reported not ready before shutting down, 0 to 600 (default 0; 5 in a pod)", "S"),
        new("--store-patience", "seconds a job trains on while its checkpoint store (Redis) is unreachable before it stops, 0 to 600 (default 30)", "S"),
        new("--data-root", "a folder jobs may read data from, besides the built-in sets; repeat it, or separate folders with ':' (default: none, built-in sets only)", "DIR")
            { Repeatable = true },
        new("--memory-limit", "the memory this silo's jobs may reserve by their estimates, e.g. 2GB (binary units; default: what the machine or the container's limit has available)", "SIZE"),
        new("--max-jobs", "at most this many jobs with workers on this silo at once; a full silo is passed over (default: no limit)", "N"),
        .. SharedOptions.Telemetry,
        .. SharedOptions.Tls,
        new("--tls-operators", "with mutual TLS: SHA-256 fingerprints of certificates that may cancel and resume any job, comma-separated, or a file of them (default: none; a job is its starter's)", "FP,...|FILE"),
    ];

    private const string Description = $"""
        A silo of the trainer's Orleans cluster: it hosts workers, parameter servers and checkpoints.

        Every option is also read from TRAINER_<OPTION> (TRAINER_SILO_PORT) and from appsettings.json's
        "Silo" section (SiloPort); the command line wins, then the environment, then the file. Orleans's
        own settings stay in its "Orleans" section (appsettings.json, or Orleans__* variables).
        Exit codes: 0 stopped, 2 a bad setting, 5 declared dead by the cluster (start it again to rejoin).
        """;

    /// <summary>The options a command line gives; or, for --help and --version, what to exit with once printed. A mistake throws.</summary>
    public static (IReadOnlyDictionary<string, string?> Options, int? Exit) Parse(string[] args, TextWriter output)
    {
        var root = new RootCommand(Description);
        foreach (var option in Options) root.Options.Add(OptionSymbols.Create(option));
        VersionAction.Install(root, typeof(SiloCommandLine).Assembly);
        var result = root.Parse(args);
        if (CommandLineErrors.Describe(result, Program) is { } mistake) throw new SiloOptionsException(mistake);
        if (result.Action is { } action && action is not ParseErrorAction)
            return (new Dictionary<string, string?>(), result.Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false }));
        return (OptionSymbols.Given(result, Options), null);
    }
}
