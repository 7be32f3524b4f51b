using System.Diagnostics;
using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.Core;

namespace Trainer.Client.Commands.Bench;

/// <summary>
/// <c>bench kernel --core-types A,B,…</c>: OpenBLAS reads its core type when it loads, so each core
/// type is measured in a process of its own (this trainer, run again with OPENBLAS_CORETYPE set),
/// one thread, the same model and batch; and set beside this process's <c>--kernel auto</c>.
/// </summary>
internal static class CoreTypeBench
{
    public static object Run(ParsedArguments args, TextWriter output)
    {
        var coreTypes = args.String("--core-types")!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        string[] passOn = [.. new[] { "--model", "--hidden", "--activation", "--layers", "--pool", "--features", "--classes", "--batch", "--seconds" }
            .Where(args.Has).SelectMany(o => new[] { o, args.String(o)! })];
        var auto = Measure(null, passOn);
        var results = coreTypes.Select(core => Measure(core, passOn)).Prepend(auto).ToList();
        var best = results.Where(r => r.SamplesPerSecond > 0).MaxBy(r => r.SamplesPerSecond)!;
        output.WriteLine($"{"OpenBLAS core type",-22}{"identity",-40}{"samples/s",12}{"of best",9}");
        foreach (var r in results)
            output.WriteLine($"{r.Label,-22}{r.Identity,-40}{r.SamplesPerSecond,12:N0}{r.SamplesPerSecond / best.SamplesPerSecond,9:P0}");
        output.WriteLine($"auto ({auto.Identity}) runs at {auto.SamplesPerSecond / best.SamplesPerSecond:P0} of the best core type ({best.Label})");
        return new { results, autoOfBest = Math.Round(auto.SamplesPerSecond / best.SamplesPerSecond, 4) };
    }

    private sealed record CoreTypeResult(string Label, string Identity, double SamplesPerSecond);

    private static CoreTypeResult Measure(string? coreType, string[] passOn)
    {
        var json = Path.Combine(Path.GetTempPath(), $"trainer-coretype-{Guid.NewGuid():N}.json");
        var kernels = coreType is null ? "auto" : "openblas";
        var start = SelfProcess.Start(["bench", "kernel", "--kernels", kernels, "--threads", "1", "--json", json, .. passOn]);
        if (coreType is not null) start.Environment["OPENBLAS_CORETYPE"] = coreType;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the trainer again");
        process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(json))
            throw new UserInputException($"--core-types: the run with OPENBLAS_CORETYPE={coreType} failed: {errors.Trim()}");
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);
        var row = document.RootElement.GetProperty("results")[0];
        return new CoreTypeResult(coreType ?? "auto", row.GetProperty("identity").GetString()!, row.GetProperty("samplesPerSecond").GetDouble());
    }

}
