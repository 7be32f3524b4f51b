using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SiloMessagingOptions = Orleans.Configuration.SiloMessagingOptions;
using Trainer.Grains.Tests.Support;
using Trainer.Silo;

namespace Trainer.Grains.Tests;

/// <summary>The silo's command line and settings: strict like the trainer's, bound to options validated at start, Orleans's own section untouched.</summary>
public sealed class SiloCommandLineTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Theory]
    [InlineData("error: unknown option '--no-such-thing' for 'Trainer.Silo' (see 'Trainer.Silo --help')", "--no-such-thing", "5")]
    [InlineData("error: unknown option '--gateway-prot' for 'Trainer.Silo'; did you mean '--gateway-port'? (see 'Trainer.Silo --help')", "--gateway-prot", "30001")]
    [InlineData("error: option --silo-port needs a value (PORT)", "--silo-port")]
    public async Task A_silo_process_refuses_a_mistaken_option_in_one_line_with_exit_2(string line, params string[] args)
    {
        var (code, output) = await ChildProcess.RunSilo(NoEnvironment, TimeSpan.FromSeconds(60), args);
        Assert.Equal(2, code);
        Assert.Equal(line, Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task A_silo_process_prints_its_version()
    {
        var (code, output) = await ChildProcess.RunSilo(NoEnvironment, TimeSpan.FromSeconds(60), "--version");
        Assert.Equal(0, code);
        Assert.Equal(Trainer.CommandLine.VersionAction.Of(typeof(SiloHosting).Assembly), output.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+$", output.Trim());
    }

    [Fact]
    public void The_silo_s_help_names_metrics_and_the_dashboard_and_the_port_that_serves_them()
    {
        var help = new StringWriter();
        var (_, exit) = SiloCommandLine.Parse(["--help"], help);
        Assert.Equal(0, exit);
        var metricsLine = help.ToString().Split('\n').Single(l => l.TrimStart().StartsWith("--metrics-port", StringComparison.Ordinal));
        Assert.Contains("/metrics", metricsLine);
        Assert.Contains("/dashboard", metricsLine);
        Assert.Contains("--metrics-address", help.ToString());
    }

    [Theory]
    [InlineData("--metrics-address 10.0.0.1 goes with a port: add --metrics-port PORT", "--metrics-address", "10.0.0.1")]
    [InlineData("--metrics-address 'everywhere' is not an IP address (0.0.0.0 for every interface)", "--metrics-port", "9464", "--metrics-address", "everywhere")]
    [InlineData("--metrics-port 'x' is not a port number", "--metrics-port", "x")]
    public void A_bad_metrics_setting_names_its_option(string message, params string[] args)
    {
        var options = Enumerable.Range(0, args.Length / 2).ToDictionary(i => args[2 * i], i => (string?)args[2 * i + 1]);
        var configuration = new ConfigurationBuilder().AddSiloSettings(options, _ => null).Build();
        Assert.Equal(message, Assert.Throws<SiloOptionsException>(() => SiloOptions.From(SiloSettings.Read(configuration), _ => null)).Message);
    }

    [Fact]
    public void The_metrics_port_is_off_by_default_and_on_loopback_unless_told_otherwise()
    {
        SiloOptions Read(Dictionary<string, string?> options) =>
            SiloOptions.From(SiloSettings.Read(new ConfigurationBuilder().AddSiloSettings(options, _ => null).Build()), _ => null);
        Assert.Null(Read([]).MetricsPort);
        var given = Read(new() { ["--metrics-port"] = "9464" });
        Assert.Equal((9464, System.Net.IPAddress.Loopback), (given.MetricsPort, given.MetricsAddress));
        Assert.Equal(System.Net.IPAddress.Any, Read(new() { ["--metrics-port"] = "9464", ["--metrics-address"] = "0.0.0.0" }).MetricsAddress);
    }

    [Fact]
    public async Task A_busy_metrics_port_is_one_line_and_exit_2()
    {
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var ports = ChildProcess.FreePorts(2);
        var (code, output) = await ChildProcess.RunSilo(NoEnvironment, TimeSpan.FromSeconds(60),
            "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--metrics-port", $"{port}");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --metrics-port {port}: cannot listen on 127.0.0.1", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Every_option_is_a_setting_and_every_setting_an_option()
    {
        var properties = typeof(SiloSettings).GetProperties().Select(p => $"{SiloSettings.Section}:{p.Name}").Order();
        Assert.Equal(properties, SiloCommandLine.Options.Select(o => SiloConfiguration.Key(o.Name)).Order());
    }

    [Fact]
    public void The_command_line_wins_over_the_environment_and_the_environment_over_appsettings_json()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "appsettings.json"),
            """{ "Silo": { "SiloPort": "12001", "GatewayPort": "12002", "HealthPort": "12003" } }""");
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(folder.Path, "appsettings.json"))
            .AddSiloSettings(new Dictionary<string, string?> { ["--silo-port"] = "13001" },
                name => name switch { "TRAINER_SILO_PORT" => "14001", "TRAINER_GATEWAY_PORT" => "14002", _ => null })
            .Build();
        var options = SiloOptions.From(SiloSettings.Read(configuration), _ => null);
        Assert.Equal((13001, 14002, 12003), (options.SiloPort, options.GatewayPort, options.HealthPort));
    }

    [Fact]
    public void Orleans_keeps_its_own_section_of_appsettings_json_beside_the_silos_settings()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "appsettings.json"),
            """{ "Orleans": { "Messaging": { "ResponseTimeout": "00:00:07" } }, "Silo": { "GatewayPort": "12002" } }""");
        var builder = SiloHosting.CreateBuilder(folder.Path);
        Assert.True(builder.TryAddTrainerSilo(new Dictionary<string, string?> { ["--silo-port"] = "13001" }, out var options, out var error), error);
        using var host = builder.Build();

        Assert.Equal(TimeSpan.FromSeconds(7), host.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ResponseTimeout);
        Assert.Equal(("13001", "12002"), (host.Services.GetRequiredService<IOptions<SiloSettings>>().Value.SiloPort, options.GatewayPort.ToString()));
        // Orleans__* variables reach the same section: the host keeps its unprefixed environment source
        Assert.Contains(builder.Configuration.Sources, s => s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix: null or "" });
    }

    [Fact]
    public void A_bad_setting_fails_validation_with_the_message_that_names_its_option()
    {
        var result = new SiloSettingsValidator(_ => null).Validate(null, new SiloSettings { DrainDelay = "soon" });
        Assert.True(result.Failed);
        Assert.Equal("--drain-delay 'soon' is not a number of seconds from 0 to 600", Assert.Single(result.Failures!));
        Assert.True(new SiloSettingsValidator(_ => null).Validate(null, new SiloSettings { SiloPort = "11112" }).Succeeded);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("trainer-silo-settings-").FullName;
        public void Dispose() => Directory.Delete(Path, true);
    }
}
