using System.Net;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands.Dashboard;

/// <summary>
/// <c>trainer dashboard [FOLDER]</c>: a page of every run under FOLDER (default runs), finished or
/// live, side by side, until Ctrl-C; it outlives the trainers, as TensorBoard does its logs. On
/// 127.0.0.1 unless --bind says otherwise: the runs' options and hashes are nobody else's business.
/// </summary>
public static class DashboardCommand
{
    public const int DefaultPort = 6070;
    public const string DefaultFolder = "runs";

    public static ArgumentInfo Folder { get; } = new("FOLDER", $"the folder of runs: each folder under it with a report.json or progress.json is one (default {DefaultFolder})");

    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--port", $"serve the page at http://127.0.0.1:PORT/ (default {DefaultPort}; 0: any free port)", "PORT"),
        new("--bind", "the address to listen on: 0.0.0.0 for every interface (default 127.0.0.1: this machine only)", "ADDRESS"),
        new("--cluster", "also list a running cluster's jobs, as 'trainer status' does: localhost:PORT[,PORT...] | redis://HOST:PORT (default: none)", "SPEC"),
        .. CommonOptions.TlsOptions,
    ];

    public static async Task<int> RunAsync(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var folder = args.String(Folder.Name, DefaultFolder);
        if (!Directory.Exists(folder))
            throw new UserInputException(File.Exists(folder) ? $"{folder}: is a file, expected a folder of runs"
                : $"{folder}: no such folder (trainer train writes its runs under {DefaultFolder}/; name another folder as 'trainer dashboard FOLDER')");
        var port = args.Int("--port", DefaultPort, 0, 65535);
        var address = Address(args.String("--bind"));
        await using var connection = args.Has("--cluster")
            ? await ClusterConnection.ConnectAsync(CommonOptions.RunningCluster(args, "dashboard"), cancellation: cancellation, tls: CommonOptions.Tls(args), warn: output.WriteLine)
            : null;
        await using var cluster = connection is null ? null : new ClusterWatch(connection, args.Required("--cluster"));
        using var server = RunsDashboardServer.Start(new RunsFolderScanner(folder), cluster, "--port", address, port);
        if (!IPAddress.IsLoopback(address))
            output.WriteLine($"warning: --bind {address}: the runs' options and weights hashes are served to the network, without authentication");
        output.WriteLine($"dashboard {server.Url} (runs under {folder}; Ctrl-C stops it)");
        try { await Task.Delay(Timeout.Infinite, cancellation); }
        catch (OperationCanceledException) { } // Ctrl-C is how a dashboard ends: not a failure
        output.WriteLine("dashboard stopped");
        return ExitCode.Done;
    }

    private static IPAddress Address(string? bind) => bind switch
    {
        null or "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(bind, out var address) => address,
        _ => throw new UserInputException($"--bind '{bind}' is not an IP address (such as 127.0.0.1, or 0.0.0.0 for every interface)"),
    };
}
