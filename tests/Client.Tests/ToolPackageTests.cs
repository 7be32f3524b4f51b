using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Trainer.Client.Tests;

/// <summary>
/// The trainer as users install it: 'dotnet pack' makes the Trainer.Cli tool package, 'dotnet tool
/// install' puts it in a tool folder, and the installed command runs from a folder of its own.
/// Everything goes to temporary folders (the package cache too, so that no stale 0.9.0 is reused
/// and none is left behind), and the only package source is the packed folder.
/// </summary>
public sealed class ToolPackageTests
{
    private static readonly string Version = typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
    private static readonly string Configuration = typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    [Fact]
    public async Task The_packed_tool_installs_and_trains_from_another_folder()
    {
        using var root = new TempFolder();
        string packages = root.Combine("packages"), tools = root.Combine("tools"), work = root.Combine("work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), "<configuration><packageSources><clear /></packageSources></configuration>");
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = root.Combine("nuget-cache"), ["DOTNET_CLI_HOME"] = root.Path, ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_ROOT"] = DotnetRoot(),
        };

        // the test's own build is the package's: no second build of the solution
        await Run("dotnet", ["pack", Repository.File("src/Client/Client.csproj"), "-c", Configuration, "--no-build", "-o", packages], work, environment);
        Assert.True(File.Exists(Path.Combine(packages, $"Trainer.Cli.{Version}.nupkg")));
        await Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "Trainer.Cli", "--version", Version], work, environment);

        var trainer = Path.Combine(tools, "trainer");
        Assert.Equal(Version, (await Run(trainer, ["--version"], work, environment)).Trim());
        var output = await Run(trainer, ["train", "--cluster", "local", "--epochs", "1", "--out", "run"], work, environment);
        Assert.Contains("done: best epoch 1", output);
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(work, "run", "report.json")));
        Assert.Equal("digits", report.RootElement.GetProperty("dataset").GetString()); // the embedded data set, found from any folder
        Assert.Single(report.RootElement.GetProperty("epochs").EnumerateArray());
        Assert.True(File.Exists(Path.Combine(work, "run", "curves.png")));
    }

    /// <summary>The folder of the dotnet that runs the tests, for the tool's launcher to find its runtime.</summary>
    private static string DotnetRoot() => Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static async Task<string> Run(string file, string[] args, string folder, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }
}
